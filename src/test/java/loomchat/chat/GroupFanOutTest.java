package loomchat.chat;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import loomchat.metrics.Metrics;
import loomchat.testing.Await;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A message to a full group of 1024 members, all offline: every inbox gets it, and it costs a
 * few group-commit batches, not a transaction per member.
 */
class GroupFanOutTest extends ServerTest {
    static final int MEMBERS = 1024;

    @Test
    void aMessageToA1024MemberGroupReachesEveryInboxInAFewBatches() throws Exception {
        // given alice and 1023 offline members in one group
        List<String> members = registerMany(MEMBERS - 1);
        try (Wire alice = server.userOnline("alice")) {
            String group = createGroup(alice, members);
            Metrics m = server.server().metrics();
            Snapshot before = settled(m);

            // when she sends one message to it
            JsonNode ok = alice.request("{'type':'send','id':'big','group':'" + group + "','body':'hello all'}", "big");

            // then the ok came once all 1023 items were durable, written in a handful of batches
            assertEquals("ok", ok.path("type").asText(), ok::toString);
            Snapshot cost = settled(m).minus(before);
            System.out.printf("1024-member fan-out: %d commit batches, %d items written, %d ops, %.1f ms in commits%n",
                    cost.batches, cost.items, cost.ops, cost.commitNanos / 1e6);
            assertEquals(MEMBERS - 1, cost.items);
            // Typically 2 to 8 (two lanes, each batch gathering what arrived in group_commit_delay);
            // more only on a starved machine, and never anywhere near one per member.
            assertTrue(cost.batches <= 64, "batches: " + cost.batches);
            assertEquals(MEMBERS - 1, storedMessages(ok.path("msg").asText()));

            // and members who log in later find it
            for (String name : List.of(members.get(0), members.get(members.size() / 2), members.get(members.size() - 1))) {
                try (Wire w = server.connect()) {
                    w.login(name);
                    assertEquals(ok.path("msg").asText(), w.next("msg").path("msg").asText());
                }
            }
        }
    }

    /**
     * Registers {@code n} users: three through the protocol, so that they can log in, and the
     * rest written straight into the users table, then a restart to load them (a thousand
     * registrations one by one would cost seconds of password hashing and commits).
     */
    private List<String> registerMany(int n) throws Exception {
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) names.add("m" + i);
        server.register(names.get(0), names.get(n / 2), names.get(n - 1));
        try (Connection c = DriverManager.getConnection(server.server().config().jdbcUrl(), "sa", "");
             PreparedStatement s = c.prepareStatement(
                     "INSERT INTO users(name, salt, password_hash, iterations, created) VALUES (?,?,?,?,?)")) {
            c.setAutoCommit(false);
            for (int i = 1; i < n - 1; i++) {
                if (i == n / 2) continue;
                s.setString(1, names.get(i));
                s.setBytes(2, new byte[16]);
                s.setBytes(3, new byte[32]);
                s.setInt(4, 1);
                s.setLong(5, System.currentTimeMillis());
                s.addBatch();
            }
            s.executeBatch();
            c.commit();
        }
        server.restart();
        return names;
    }

    private static String createGroup(Wire alice, List<String> members) throws Exception {
        StringBuilder list = new StringBuilder();
        for (String name : members) list.append(list.isEmpty() ? "" : ",").append('\'').append(name).append('\'');
        JsonNode ok = alice.request("{'type':'group_create','id':'c','name':'everyone','members':[" + list + "]}", "c");
        assertEquals("ok", ok.path("type").asText(), ok::toString);
        return ok.path("group").asText();
    }

    private long storedMessages(String msg) throws Exception {
        try (Connection c = DriverManager.getConnection(server.server().config().jdbcUrl(), "sa", "");
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT COUNT(*) FROM inbox WHERE frame LIKE '%" + msg + "%'")) {
            r.next();
            return r.getLong(1);
        }
    }

    /** The commit counters once nothing has been committed for a while (the lanes are idle). */
    private static Snapshot settled(Metrics m) {
        Snapshot[] last = {Snapshot.of(m)};
        long[] stableSince = {System.nanoTime()};
        Await.until(() -> {
            Snapshot now = Snapshot.of(m);
            if (!now.equals(last[0])) {
                last[0] = now;
                stableSince[0] = System.nanoTime();
            }
            return System.nanoTime() - stableSince[0] > 100_000_000L;
        }, "the commit lanes to go idle");
        return last[0];
    }

    private record Snapshot(long batches, long items, long ops, long commitNanos) {
        static Snapshot of(Metrics m) {
            return new Snapshot(m.commitBatches.sum(), m.itemsWritten.sum(), m.commitOps.sum(), m.commitNanos.sum());
        }

        Snapshot minus(Snapshot o) {
            return new Snapshot(batches - o.batches, items - o.items, ops - o.ops, commitNanos - o.commitNanos);
        }
    }
}
