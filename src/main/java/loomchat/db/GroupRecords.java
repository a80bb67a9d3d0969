package loomchat.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import loomchat.store.ChatStore;
import loomchat.store.Group;
import loomchat.store.GroupTable;

/**
 * The SQL for groups and their members. Membership changes are rare, so each one is a
 * transaction of its own, made before the change is visible or answered.
 */
public final class GroupRecords {
    private final Database db;

    public GroupRecords(Database db) {
        this.db = db;
    }

    /** Stores a new group with its members, the creator first. */
    public void create(Group group, long now) throws SQLException {
        db.run(c -> {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement s = c.prepareStatement("INSERT INTO chat_groups(id, name, created) VALUES (?,?,?)")) {
                    s.setString(1, group.id());
                    s.setString(2, group.name());
                    s.setLong(3, now);
                    s.executeUpdate();
                }
                insertMembers(c, group, group.memberList(), 1);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        });
    }

    /**
     * Stores a membership change: members gone, members new, members made admin. A group left
     * without members is deleted.
     */
    public void update(Group before, Group after) throws SQLException {
        db.run(c -> {
            c.setAutoCommit(false);
            try {
                if (after.members().isEmpty()) {
                    delete(c, "DELETE FROM group_members WHERE group_id = ?", after.id());
                    delete(c, "DELETE FROM chat_groups WHERE id = ?", after.id());
                } else {
                    applyDiff(c, before, after);
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        });
    }

    private void applyDiff(Connection c, Group before, Group after) throws SQLException {
        List<String> gone = new ArrayList<>();
        for (String m : before.members()) if (!after.isMember(m)) gone.add(m);
        if (!gone.isEmpty()) {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM group_members WHERE group_id = ? AND user_name = ?")) {
                for (String m : gone) {
                    s.setString(1, after.id());
                    s.setString(2, m);
                    s.addBatch();
                }
                s.executeBatch();
            }
        }
        List<String> joined = new ArrayList<>();
        for (String m : after.members()) if (!before.isMember(m)) joined.add(m);
        if (!joined.isEmpty()) {
            long next;
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT COALESCE(MAX(join_order), 0) FROM group_members WHERE group_id = ?")) {
                s.setString(1, after.id());
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    next = r.getLong(1) + 1;
                }
            }
            insertMembers(c, after, joined, next);
        }
        List<String> promoted = new ArrayList<>();
        for (String a : after.admins()) if (!before.isAdmin(a) && before.isMember(a)) promoted.add(a);
        if (!promoted.isEmpty()) {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE group_members SET is_admin = ? WHERE group_id = ? AND user_name = ?")) {
                for (String a : promoted) {
                    s.setBoolean(1, true);
                    s.setString(2, after.id());
                    s.setString(3, a);
                    s.addBatch();
                }
                s.executeBatch();
            }
        }
    }

    private static void insertMembers(Connection c, Group group, List<String> users, long firstOrder)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO group_members(group_id, user_name, join_order, is_admin) VALUES (?,?,?,?)")) {
            long order = firstOrder;
            for (String u : users) {
                s.setString(1, group.id());
                s.setString(2, u);
                s.setLong(3, order++);
                s.setBoolean(4, group.isAdmin(u));
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    private static void delete(Connection c, String sql, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, id);
            s.executeUpdate();
        }
    }

    /**
     * Loads every group into the table and every membership into the store; returns how many
     * groups. Users must be loaded first: a membership of an unknown user is skipped.
     */
    public int load(GroupTable table, ChatStore store) throws SQLException {
        Map<String, String> names = new LinkedHashMap<>();
        Map<String, Set<String>> members = new LinkedHashMap<>();
        Map<String, Set<String>> admins = new LinkedHashMap<>();
        try (Connection c = db.connection()) {
            try (PreparedStatement s = c.prepareStatement("SELECT id, name FROM chat_groups");
                 ResultSet r = s.executeQuery()) {
                while (r.next()) names.put(r.getString(1), r.getString(2));
            }
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT group_id, user_name, is_admin FROM group_members ORDER BY group_id, join_order");
                 ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    String group = r.getString(1);
                    String user = r.getString(2);
                    if (!names.containsKey(group) || !store.exists(user)) continue;
                    members.computeIfAbsent(group, g -> new LinkedHashSet<>()).add(user);
                    if (r.getBoolean(3)) admins.computeIfAbsent(group, g -> new LinkedHashSet<>()).add(user);
                }
            }
        }
        int loaded = 0;
        for (Map.Entry<String, Set<String>> e : members.entrySet()) {
            String id = e.getKey();
            Group group = new Group(id, names.get(id), e.getValue(), admins.getOrDefault(id, Set.of()));
            if (group.admins().isEmpty()) group = group.without(List.of()); // the admin rule, should a row be lost
            table.put(group);
            for (String m : group.members()) store.joinedGroup(m, id);
            loaded++;
        }
        return loaded;
    }
}
