package loomchat.store;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A group as it is at one moment. It is never changed, only replaced whole on a membership
 * change, so a send can walk a thousand members without holding any lock.
 *
 * @param members in the order they joined: the first is the longest-standing member
 * @param admins in the order they became admins; always members, never empty while members are not
 */
public record Group(String id, String name, Set<String> members, Set<String> admins) {

    public Group {
        members = Collections.unmodifiableSet(new LinkedHashSet<>(members));
        admins = Collections.unmodifiableSet(new LinkedHashSet<>(admins));
    }

    public boolean isMember(String user) {
        return members.contains(user);
    }

    public boolean isAdmin(String user) {
        return admins.contains(user);
    }

    /** The group with {@code users} joined at the end of the member list. */
    public Group withAdded(Collection<String> users) {
        Set<String> m = new LinkedHashSet<>(members);
        m.addAll(users);
        return new Group(id, name, m, admins);
    }

    /**
     * The group without {@code users}. A group is never left without an admin while it has
     * members: when the last admin goes, the longest-standing member left becomes one.
     */
    public Group without(Collection<String> users) {
        Set<String> m = new LinkedHashSet<>(members);
        m.removeAll(users);
        Set<String> a = new LinkedHashSet<>(admins);
        a.removeAll(users);
        if (a.isEmpty() && !m.isEmpty()) a.add(m.iterator().next());
        return new Group(id, name, m, a);
    }

    public List<String> memberList() {
        return List.copyOf(members);
    }

    public List<String> adminList() {
        return List.copyOf(admins);
    }
}
