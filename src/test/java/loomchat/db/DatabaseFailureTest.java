package loomchat.db;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import loomchat.testing.Await;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The database failing under a running server: sends are refused with {@code internal}, never
 * acknowledged falsely, and the server recovers by itself once the database does.
 */
class DatabaseFailureTest extends ServerTest {
    Connection sabotage;

    @Override
    protected Map<String, ?> settings() {
        // A small inbox, of which one sender may hold an eighth (2 messages): room a failed write must not keep.
        return Map.of("group_commit_delay", "1ms", "max_inbox_items", 16);
    }

    @BeforeEach
    void start() throws Exception {
        // The same embedded database, opened from the test: what an operator's mistake looks like.
        sabotage = DriverManager.getConnection(server.server().config().jdbcUrl(), "sa", "");
    }

    @AfterEach
    void stop() throws Exception {
        sabotage.close();
    }

    @Test
    void sendsFailWithInternalWhileTheDatabaseIsBrokenAndWorkAgainAfterwards() throws Exception {
        try (Wire bob = server.connect()) {
            bob.register("bob");
        }
        try (Wire alice = server.userOnline("alice")) {
            // given the inbox table disappears under the server
            execute("ALTER TABLE inbox RENAME TO inbox_gone");

            // when alice sends, she is told it failed: no ok
            JsonNode refused = alice.request("{'type':'send','id':'m1','to':'bob','body':'lost in the outage'}", "m1");
            assertEquals("error", refused.path("type").asText());
            assertEquals("internal", refused.path("code").asText());

            // and once the database is back, the same request id goes through
            execute("ALTER TABLE inbox_gone RENAME TO inbox");
            JsonNode ok = alice.request("{'type':'send','id':'m1','to':'bob','body':'after the outage'}", "m1");
            assertEquals("ok", ok.path("type").asText());

            // then bob receives what was acknowledged, and not what was refused
            try (Wire bob = server.connect()) {
                assertEquals(1, bob.login("bob").path("pending").asInt());
                JsonNode msg = bob.next("msg");
                assertEquals("after the outage", msg.path("body").asText());
                assertEquals(ok.path("msg").asText(), msg.path("msg").asText());
            }
        }
    }

    @Test
    void aRetryOfASendThatFailedAfterItsPushIsDeliveredUnderTheSameMsg() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            // given bob has had a message (so that his next seqs are reserved already), and then
            // the inbox table disappears under the server
            alice.sendMessage("m0", "bob", "before");
            bob.ack(bob.next("msg").path("seq").asLong());
            execute("ALTER TABLE inbox RENAME TO inbox_gone");

            // when alice sends to bob, who is online and receives the push but does not ack it,
            // so the item must be written, and that write fails
            alice.send("{'type':'send','id':'m1','to':'bob','body':'hi'}");
            String pushed = bob.next("msg").path("msg").asText();
            assertEquals("internal", alice.reply("m1").path("code").asText());

            // and she retries with the same id once the database is back
            execute("ALTER TABLE inbox_gone RENAME TO inbox");
            JsonNode ok = alice.request("{'type':'send','id':'m1','to':'bob','body':'hi'}", "m1");

            // then the retry is the message bob already has, which he can tell by its msg
            assertEquals("ok", ok.path("type").asText(), ok::toString);
            assertEquals(pushed, ok.path("msg").asText());
            assertEquals(pushed, bob.next("msg").path("msg").asText());
        }
    }

    @Test
    void anAcknowledgedMessageSurvivesARestartAfterAnOutage() throws Exception {
        try (Wire bob = server.connect()) {
            bob.register("bob");
        }
        String msg;
        try (Wire alice = server.userOnline("alice")) {
            execute("ALTER TABLE inbox RENAME TO inbox_gone");
            assertEquals("internal", alice.request("{'type':'send','id':'a','to':'bob','body':'x'}", "a").path("code").asText());
            execute("ALTER TABLE inbox_gone RENAME TO inbox");
            msg = alice.request("{'type':'send','id':'b','to':'bob','body':'y'}", "b").path("msg").asText();
        }
        sabotage.close();
        server.restart();
        sabotage = DriverManager.getConnection(server.server().config().jdbcUrl(), "sa", "");
        try (Wire bob = server.connect()) {
            assertEquals(1, bob.login("bob").path("pending").asInt());
            assertEquals(msg, bob.next("msg").path("msg").asText());
        }
    }

    @Test
    void sendsThatFailedDoNotKeepTheirSendersShareOfAnOfflineInbox() throws Exception {
        try (Wire bob = server.connect()) {
            bob.register("bob");
        }
        try (Wire alice = server.userOnline("alice")) {
            // given two sends to offline bob failed in an outage: as many as one sender may hold
            execute("ALTER TABLE inbox RENAME TO inbox_gone");
            assertEquals("internal", alice.request("{'type':'send','id':'a','to':'bob','body':'x'}", "a").path("code").asText());
            assertEquals("internal", alice.request("{'type':'send','id':'b','to':'bob','body':'y'}", "b").path("code").asText());
            execute("ALTER TABLE inbox_gone RENAME TO inbox");

            // when she sends a new message once the database is back
            JsonNode ok = alice.request("{'type':'send','id':'c','to':'bob','body':'z'}", "c");

            // then it is taken: the failed ones hold no room
            assertEquals("ok", ok.path("type").asText(), ok::toString);
        }
        try (Wire bob = server.connect()) {
            assertEquals(1, bob.login("bob").path("pending").asInt());
            assertEquals("z", bob.next("msg").path("body").asText());
        }
    }

    @Test
    void anInboxFilledByWritesThatFailedTakesMessagesAgainAfterTheOutage() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice"); Wire carol = server.userOnline("carol")) {
            // given sixteen sends to offline bob failed in an outage: as many as his inbox holds
            execute("ALTER TABLE inbox RENAME TO inbox_gone");
            for (int i = 0; i < 16; i += 2) { // two at a time: as many as one sender may have waiting
                alice.send("{'type':'send','id':'f" + i + "','to':'bob','body':'x'}");
                alice.send("{'type':'send','id':'f" + (i + 1) + "','to':'bob','body':'x'}");
                for (JsonNode failed : alice.replies("f" + i, "f" + (i + 1)).values()) {
                    assertEquals("internal", failed.path("code").asText(), failed::toString);
                }
            }
            execute("ALTER TABLE inbox_gone RENAME TO inbox");

            // when carol sends him a message once the database is back
            JsonNode ok = carol.request("{'type':'send','id':'c','to':'bob','body':'hello'}", "c");

            // then it is taken (nothing could ever have acked past the failed ones to make room)
            assertEquals("ok", ok.path("type").asText(), ok::toString);
        }
        try (Wire bob = server.connect()) {
            assertEquals(1, bob.login("bob").path("pending").asInt());
            assertEquals("hello", bob.next("msg").path("body").asText());
        }
    }

    @Test
    void aGroupChangeWhoseEventsCouldNotBeWrittenIsStillAnnouncedAndWrittenOnceTheDatabaseIsBack() throws Exception {
        server.register("bob", "carol");
        String group;
        try (Wire alice = server.userOnline("alice")) {
            group = alice.request("{'type':'group_create','id':'c','name':'g','members':['bob']}", "c")
                    .path("group").asText();

            // given alice adds carol while the inbox table is away: the change is stored, its events are not
            execute("ALTER TABLE inbox RENAME TO inbox_gone");
            JsonNode added = alice.request("{'type':'group_add','id':'a','group':'" + group + "','users':['carol']}", "a");
            assertEquals("ok", added.path("type").asText(), added::toString);

            // when the database comes back
            execute("ALTER TABLE inbox_gone RENAME TO inbox");
        }

        // then carol is told she was added
        try (Wire carol = server.connect()) {
            assertEquals(1, carol.login("carol").path("pending").asInt());
            JsonNode event = carol.next("group");
            assertEquals(group, event.path("group").asText());
            assertEquals("added", event.path("event").asText());
        }
        // and the event was written after all: a restart does not lose it
        Await.until(() -> storedItemsOf("carol") == 1, "carol's event to be written again");
        sabotage.close();
        server.restart();
        sabotage = DriverManager.getConnection(server.server().config().jdbcUrl(), "sa", "");
        try (Wire carol = server.connect()) {
            assertEquals(1, carol.login("carol").path("pending").asInt());
        }
    }

    @Test
    void aMessageWhoseWriteFailedGetsNoDeliveredReceiptWhenItsRecipientAcksPastIt() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            // given a send to offline bob failed in an outage, and the next one went through
            execute("ALTER TABLE inbox RENAME TO inbox_gone");
            assertEquals("internal", alice.request("{'type':'send','id':'a','to':'bob','body':'x'}", "a").path("code").asText());
            execute("ALTER TABLE inbox_gone RENAME TO inbox");
            String delivered = alice.sendMessage("b", "bob", "y").path("msg").asText();

            // when bob logs in and acks everything he was sent
            try (Wire bob = server.connect()) {
                bob.login("bob");
                bob.ack(bob.next("msg").path("seq").asLong());

                // then alice hears of the one he got, and of nothing else
                JsonNode receipt = alice.next("receipt");
                assertEquals(delivered, receipt.path("msg").asText());
                alice.expectSilence(java.time.Duration.ofMillis(300));
            }
        }
    }

    @Test
    void anAckWhoseDeleteFailedInAnOutageIsDeletedOnceTheDatabaseIsBack() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            // given bob's item was written (he did not ack it within ack_grace)
            alice.sendMessage("m1", "bob", "hi");
            long seq = bob.next("msg").path("seq").asLong();
            Await.until(() -> storedItems() == 1, "the item to be written");

            // when he acks it while the table is gone, and the database comes back
            execute("ALTER TABLE inbox RENAME TO inbox_gone");
            bob.ack(seq);
            bob.request("{'type':'ping','id':'sync'}", "sync");
            Await.until(() -> server.server().metrics().commitFailures.sum() > 0, "the delete to fail");
            execute("ALTER TABLE inbox_gone RENAME TO inbox");

            // then the row is deleted after all, and does not come back after a restart
            Await.until(() -> storedItems() == 0, "the delete to be tried again");
        }
        sabotage.close();
        server.restart();
        sabotage = DriverManager.getConnection(server.server().config().jdbcUrl(), "sa", "");
        try (Wire bob = server.connect()) {
            assertEquals(0, bob.login("bob").path("pending").asInt());
        }
    }

    private long storedItems() {
        try (Statement s = sabotage.createStatement();
             java.sql.ResultSet r = s.executeQuery("SELECT COUNT(*) FROM inbox")) {
            r.next();
            return r.getLong(1);
        } catch (java.sql.SQLException e) {
            return -1; // the table is away
        }
    }

    private long storedItemsOf(String user) {
        try (java.sql.PreparedStatement s = sabotage.prepareStatement("SELECT COUNT(*) FROM inbox WHERE user_name = ?")) {
            s.setString(1, user);
            try (java.sql.ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        } catch (java.sql.SQLException e) {
            return -1; // the table is away
        }
    }

    private void execute(String sql) throws Exception {
        try (Statement s = sabotage.createStatement()) {
            s.execute(sql);
        }
    }
}
