package loomchat.db;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import loomchat.testing.BrokenIndex;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A start after a crash that left an index out of step with its table (as H2 did once after
 * {@code kill -9}, stop 20) builds the index again: the server starts, and the messages whose
 * rows are there are delivered.
 */
class IndexRepairTest extends ServerTest {

    @Test
    void theServerStartsOnAnInboxKeyWithAnEntryWhoseRowIsGone() throws Exception {
        // given three messages waiting for bob, and a crash that left the second's key without its row
        List<String> sent = sendThreeTo("bob");

        server.restart(dataDir -> BrokenIndex.rowGoneKeyLeft(dataDir, "bob", 2));

        // then the server started (the load used to fail on H2's lock timeout), and the rows left are delivered
        assertBobGets(List.of(sent.get(0), sent.get(2)));
    }

    @Test
    void aMessageWhoseRowIsMissingFromTheInboxKeyIsStillDelivered() throws Exception {
        // given three messages waiting for bob, and a crash that left the second's row out of the key
        List<String> sent = sendThreeTo("bob");

        server.restart(dataDir -> BrokenIndex.keyGoneRowLeft(dataDir, "bob", 2));

        // then all three are delivered (a read in key order used to skip the second), and acked, all are gone
        try (Wire bob = server.connect()) {
            assertEquals(3, bob.login("bob").path("pending").asInt());
            assertEquals(sent, msgs(bob.next("msg", 3)));
            bob.ack(3);
            bob.request("{'type':'ping','id':'after the ack'}", "after the ack"); // read in order: the ack is taken
        }
        server.restart();
        try (Wire bob = server.connect()) {
            assertEquals(0, bob.login("bob").path("pending").asInt());
        }
    }

    @Test
    void twoFaultsThatCancelInTheCountAreFoundByTheFirstRead() throws Exception {
        // given a crash that took the first message's row, leaving its key entry, and the third's
        // key entry, leaving its row: the table and its key count the same
        List<String> sent = sendThreeTo("bob");

        server.restart(dataDir -> {
            BrokenIndex.rowGoneKeyLeft(dataDir, "bob", 1);
            BrokenIndex.keyGoneRowLeft(dataDir, "bob", 3);
        });

        // then the server started, and the rows there are delivered, each once
        assertBobGets(List.of(sent.get(1), sent.get(2)));
    }

    @Test
    void cancellingFaultsAreMendedBeforeAnyItemIsRestoredEvenWithLazyQueries() throws Exception {
        // given a server whose database URL asks H2 to hand rows over as it finds them
        server.close();
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("loomchat-lazy");
        server = loomchat.testing.TestServer.start(dir, java.util.Map.of("db_url",
                "jdbc:h2:file:" + dir.resolve("loomchat") + ";WRITE_DELAY=0;LAZY_QUERY_EXECUTION=TRUE"));
        List<String> sent = sendThreeTo("bob");

        // and a crash that left the first message's row out of the key, and the third's key
        // entry without its row: a lazy read in key order would restore the second, then fail
        server.restart(dataDir -> {
            BrokenIndex.keyGoneRowLeft(dataDir, "bob", 1);
            BrokenIndex.rowGoneKeyLeft(dataDir, "bob", 3);
        });

        // then both messages whose rows are there are delivered, in order
        assertBobGets(List.of(sent.get(0), sent.get(1)));
    }

    @Test
    void aRebuildCutShortByACrashIsFinishedAtTheNextStart() throws Exception {
        // given a rebuild of the inbox's key that a crash cut after its old key was dropped:
        // only the unique index made beside it stands
        sendThreeTo("bob");
        server.close();
        try (Connection c = open(); Statement s = c.createStatement()) {
            String key = primaryKeyOfInbox(c);
            s.execute("CREATE UNIQUE INDEX \"" + key + "_REBUILT\" ON inbox (user_name, seq)");
            s.execute("ALTER TABLE inbox DROP PRIMARY KEY");
        }

        // when the indexes are checked at the next start
        try (Connection c = open()) {
            IndexRepair.run(c);

            // then the table has its primary key again, and nothing of the rebuild is left
            assertTrue(primaryKeyOfInbox(c) != null, "the inbox has a primary key");
            try (Statement s = c.createStatement();
                 var r = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.INDEXES WHERE INDEX_NAME LIKE '%_REBUILT'")) {
                r.next();
                assertEquals(0, r.getInt(1));
            }
        }
    }

    @Test
    void indexesInStepWithTheirTablesAreLeftAlone() throws Exception {
        sendThreeTo("bob");
        server.close();

        try (Connection c = open()) {
            assertEquals(List.of(), IndexRepair.run(c));
        }
    }

    @Test
    void aKeyThatCannotBeBuiltAgainStopsTheStartAndIsKept() throws Exception {
        // given a row left out of the inbox key, and a second row with the same key written since
        sendThreeTo("bob");
        server.close();
        BrokenIndex.keyGoneRowLeft(server.dataDir(), "bob", 2);
        try (Connection c = open(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO inbox (user_name, seq, frame) VALUES ('bob', 2, 'a second row of seq 2')");
        }

        // when the indexes are checked, the key is found out of step but cannot be made unique again
        try (Connection c = open()) {
            SQLException e = assertThrows(SQLException.class, () -> IndexRepair.run(c));
            assertTrue(e.getMessage().contains("duplicate key"), e::getMessage);

            // then it was not dropped: the table keeps its primary key
            try (Statement s = c.createStatement();
                 var r = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.INDEXES "
                         + "WHERE TABLE_NAME = 'INBOX' AND INDEX_TYPE_NAME = 'PRIMARY KEY'")) {
                r.next();
                assertEquals(1, r.getInt(1));
            }
        }
    }

    private List<String> sendThreeTo(String recipient) throws Exception {
        server.register(recipient);
        List<String> sent = new ArrayList<>();
        try (Wire alice = server.userOnline("alice")) {
            for (int i = 1; i <= 3; i++) sent.add(alice.sendMessage("c" + i, recipient, "number " + i).path("msg").asText());
        }
        return sent;
    }

    private static String primaryKeyOfInbox(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             var r = s.executeQuery("SELECT INDEX_NAME FROM INFORMATION_SCHEMA.INDEXES "
                     + "WHERE TABLE_NAME = 'INBOX' AND INDEX_TYPE_NAME = 'PRIMARY KEY'")) {
            return r.next() ? r.getString(1) : null;
        }
    }

    /** Bob logs in and is pushed exactly these messages, in order. */
    private void assertBobGets(List<String> msgs) throws Exception {
        try (Wire bob = server.connect()) {
            assertEquals(msgs.size(), bob.login("bob").path("pending").asInt());
            assertEquals(msgs, msgs(bob.next("msg", msgs.size())));
        }
    }

    private Connection open() throws SQLException {
        return DriverManager.getConnection("jdbc:h2:file:" + server.dataDir().resolve("loomchat"), "sa", "");
    }

    private static List<String> msgs(List<JsonNode> items) {
        return items.stream().map(i -> i.path("msg").asText()).toList();
    }
}
