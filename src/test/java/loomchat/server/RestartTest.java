package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import loomchat.testing.Await;
import loomchat.testing.TestServer;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A clean stop and a start on the same data directory: nothing a client relies on is lost or reused. */
class RestartTest extends ServerTest {
    @Test
    void accountsAndTokensSurviveARestart() throws Exception {
        String token;
        try (Wire alice = server.connect()) {
            alice.register("alice");
            token = alice.login("alice").path("token").asText();
        }

        server.restart();

        try (Wire w = server.connect()) {
            assertEquals("ok", w.loginWithToken("alice", token).path("type").asText());
        }
        try (Wire w = server.connect()) {
            w.login("alice");
        }
        try (Wire w = server.connect()) {
            assertEquals("user_exists",
                    w.request("{'type':'register','id':'r','user':'alice','password':'correct horse'}", "r").path("code").asText());
        }
    }

    @Test
    void undeliveredItemsSurviveWithTheirSeqs() throws Exception {
        server.register("bob");
        List<String> sent = new ArrayList<>();
        try (Wire alice = server.userOnline("alice")) {
            for (int i = 1; i <= 3; i++) sent.add(alice.sendMessage("c" + i, "bob", "number " + i).path("msg").asText());
        }

        server.restart();

        try (Wire bob = server.connect()) {
            assertEquals(3, bob.login("bob").path("pending").asInt());
            List<JsonNode> items = bob.next("msg", 3);
            assertEquals(sent, items.stream().map(i -> i.path("msg").asText()).toList());
            assertEquals(List.of(1L, 2L, 3L), items.stream().map(i -> i.path("seq").asLong()).toList());
            assertEquals("alice", items.get(0).path("from").asText());
            assertEquals("number 1", items.get(0).path("body").asText());
        }
    }

    @Test
    void aMessageAsLongAsAFrameAllowsSurvivesARestart() throws Exception {
        // given a body that fills a send frame to max_frame_bytes; its stored item (with msg,
        // from, seq and ts) is longer than that
        server.register("bob");
        String prefix = "{'type':'send','id':'big','to':'bob','body':'";
        String body = "x".repeat(65_536 - prefix.length() - 2);
        try (Wire alice = server.userOnline("alice")) {
            assertEquals("ok", alice.request(prefix + body + "'}", "big").path("type").asText());
        }

        server.restart();

        // then bob still gets it
        try (Wire bob = server.connect()) {
            assertEquals(1, bob.login("bob").path("pending").asInt());
            assertEquals(body.length(), bob.next("msg").path("body").asText().length());
        }
    }

    @Test
    void undeliveredReceiptsSurvive() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            String msg = alice.sendMessage("c1", "bob", "hi").path("msg").asText();
            bob.ack(bob.next("msg").path("seq").asLong());
            assertEquals(msg, alice.next("receipt").path("msg").asText()); // seen, not acked
        }

        server.restart();

        try (Wire alice = server.connect()) {
            assertEquals(1, alice.login("alice").path("pending").asInt());
            assertEquals("delivered", alice.next("receipt").path("status").asText());
        }
    }

    @Test
    void itemsAfterARestartGetHigherSeqsThanAnyBefore() throws Exception {
        long highest;
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            // bob acks everything at once, so most items are never written, and only reservations remember their seqs
            for (int i = 1; i <= 5; i++) alice.sendMessage("c" + i, "bob", "number " + i);
            highest = bob.next("msg", 5).get(4).path("seq").asLong();
            bob.ack(highest);
            bob.request("{'type':'ping','id':'sync'}", "sync");
        }

        server.restart();

        try (Wire bob = server.connect(); Wire alice = server.connect()) {
            bob.login("bob");
            alice.login("alice");
            alice.sendMessage("c6", "bob", "after the restart");
            JsonNode item = bob.next("msg");
            assertEquals("after the restart", item.path("body").asText());
            assertTrue(item.path("seq").asLong() > highest, item + " after seq " + highest);
        }
    }

    @Test
    void aSeqSeenLiveIsNeverReusedAfterARestart() throws Exception {
        JsonNode seen;
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            alice.sendMessage("c1", "bob", "seen, never acked");
            seen = bob.next("msg");
        }

        server.restart();

        try (Wire bob = server.connect(); Wire alice = server.connect()) {
            alice.login("alice");
            bob.login("bob");
            JsonNode again = bob.next("msg");
            assertEquals(seen, again, "the same item under the same seq");

            alice.sendMessage("c2", "bob", "new");
            JsonNode fresh = bob.next("msg");
            assertEquals("new", fresh.path("body").asText());
            assertTrue(fresh.path("seq").asLong() > seen.path("seq").asLong());
        }
    }

    @Test
    void aSeqOfAStoredItemAboveItsReservationIsNeverReusedAfterTwoRestarts() throws Exception {
        // given bob's stored item at seq 5 while his reservation is lower: what a crash between
        // the item's commit and its reservation's leaves
        server.register("bob");
        server.server().close();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(server.server().config().jdbcUrl(), "sa", "");
             java.sql.Statement s = c.createStatement()) {
            s.execute("INSERT INTO inbox(user_name, seq, frame) VALUES ('bob', 5, "
                    + "'{\"type\":\"msg\",\"seq\":5,\"msg\":\"m5\",\"from\":\"alice\",\"to\":\"bob\",\"body\":\"hi\",\"ts\":1}')");
        }
        server.restart();
        // and bob gets and acks it, so that its row is deleted
        try (Wire bob = server.connect()) {
            bob.login("bob");
            bob.ack(bob.next("msg").path("seq").asLong());
            bob.request("{'type':'ping','id':'sync'}", "sync");
        }

        // when the server restarts again and alice sends him a message
        server.restart();
        try (Wire bob = server.connect(); Wire alice = server.userOnline("alice")) {
            bob.login("bob");
            alice.sendMessage("c1", "bob", "new");

            // then its seq is above the one he had
            long seq = bob.next("msg").path("seq").asLong();
            assertTrue(seq > 5, "seq " + seq);
        }
    }

    @Test
    void sendIdsSurviveARestart() throws Exception {
        server.register("bob");
        JsonNode first;
        try (Wire alice = server.userOnline("alice")) {
            first = alice.sendMessage("c1", "bob", "hi");
        }

        server.restart();

        try (Wire alice = server.connect()) {
            alice.login("alice");
            JsonNode retry = alice.sendMessage("c1", "bob", "hi");
            assertEquals(first.path("msg").asText(), retry.path("msg").asText());
            assertEquals(first.path("ts").asLong(), retry.path("ts").asLong());
        }
        try (Wire bob = server.connect()) {
            assertEquals(1, bob.login("bob").path("pending").asInt());
        }
    }

    @Test
    void aSendIdWhoseMessageIdHasARandomNonceIsAnsweredWithThatIdAfterARestart() throws Exception {
        // given a send id on record from a server that made nonces at random (12 characters, not
        // the 11 of a nonce derived from the send): its message id cannot be rebuilt, only kept
        server.register("alice", "bob");
        String old = "AAAAAAAAAAAA:alice:bob:" + "m".repeat(16);
        long ts = System.currentTimeMillis();
        server.server().close();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(server.server().config().jdbcUrl(), "sa", "");
             java.sql.PreparedStatement s = c.prepareStatement(
                     "INSERT INTO send_keys(user_name, request_id, msg, ts) VALUES ('alice', 'c1', ?, ?)")) {
            s.setString(1, old);
            s.setLong(2, ts);
            s.executeUpdate();
        }
        server.restart();

        // when alice retries that send
        try (Wire alice = server.connect()) {
            alice.login("alice");
            JsonNode retry = alice.sendMessage("c1", "bob", "hi");

            // then she gets the id and time on record, and bob gets nothing new
            assertEquals(old, retry.path("msg").asText());
            assertEquals(ts, retry.path("ts").asLong());
        }
        try (Wire bob = server.connect()) {
            assertEquals(0, bob.login("bob").path("pending").asInt());
        }
    }

    @Test
    void aGroupSendIdSurvivesARestartEvenWhenEveryMemberAckedBeforeAnythingWasWritten() throws Exception {
        // given alice's message to a group whose members, online, acked it at once (so that no
        // item of it was ever written)
        String first;
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            String group = alice.request("{'type':'group_create','id':'c','name':'crag','members':['bob']}", "c")
                    .path("group").asText();
            alice.send("{'type':'send','id':'g1','group':'" + group + "','body':'on belay'}");
            bob.ack(bob.next("msg").path("seq").asLong());
            first = alice.reply("g1").path("msg").asText();

            server.restart();

            // when she retries it after a restart (her ok was lost, say)
            try (Wire again = server.connect()) {
                again.login("alice");
                JsonNode retry = again.request(
                        "{'type':'send','id':'g1','group':'" + group + "','body':'on belay'}", "g1");

                // then it is answered as the first time, not sent again
                assertEquals(first, retry.path("msg").asText(), retry::toString);
            }
        }
    }

    @Test
    void aSecondRestartKeepsEverythingToo() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            alice.sendMessage("c1", "bob", "one");
        }
        server.restart();
        try (Wire alice = server.connect()) {
            alice.login("alice");
            alice.sendMessage("c2", "bob", "two");
        }
        server.restart();

        try (Wire bob = server.connect()) {
            assertEquals(2, bob.login("bob").path("pending").asInt());
            List<JsonNode> items = bob.next("msg", 2);
            assertEquals(List.of("one", "two"), items.stream().map(i -> i.path("body").asText()).toList());
            assertTrue(items.get(0).path("seq").asLong() < items.get(1).path("seq").asLong());
        }
    }

    @Test
    void aGroupChangeQueuedBehindAWaitingGroupMessageAtShutdownIsStillAnnounced() throws Exception {
        server.close();
        server = TestServer.start(Map.of("commit_lanes", 1, "commit_queue_capacity", 16, "ack_grace", "2s"));
        server.register("carol", "dave");
        try (Wire bob = server.userOnline("bob"); Wire eve = server.userOnline("eve");
             Wire alice = server.userOnline("alice")) {
            // given a group of alice and carol (offline)
            alice.send("{'type':'group_create','id':'c','name':'rope','members':['carol']}");
            alice.ack(alice.next("group").path("seq").asLong());
            String group = alice.reply("c").path("group").asText();
            // and every unit of commit room held by items bob has received and not acked
            for (int i = 1; i <= 16; i++) eve.send("{'type':'send','id':'e" + i + "','to':'bob','body':'" + i + "'}");
            bob.next("msg", 16);

            // when alice sends the group a message, which waits for room, and adds dave behind it
            alice.send("{'type':'send','id':'g1','group':'" + group + "','body':'on belay'}");
            alice.send("{'type':'group_add','id':'a1','group':'" + group + "','users':['dave']}");
            Await.until(() -> server.server().metrics().waitingForCommitRoom.sum() == 1, "the message waits for room");
            // (a line read is dispatched even if the server begins to stop right after; one not
            // yet read when it does is not)
            Await.until(() -> server.server().metrics().framesIn("group_add") == 1, "the add is read");
            // and the server is stopped cleanly
            server.restart();
        }

        // then dave, a member now, has been told so
        try (Wire dave = server.connect()) {
            dave.login("dave");
            JsonNode added = dave.next("group");
            assertEquals("added", added.path("event").asText());
            assertEquals("dave", added.path("users").get(0).asText());
        }
    }

    @Test
    void aCleanShutdownWritesTheRepliesAlreadyQueuedBeforeItCloses() throws Exception {
        server.close();
        server = TestServer.start(Map.of("socket_send_buffer", 4096));
        server.register("alice");
        try (Wire bob = server.userOnline("bob"); Wire alice = Wire.connectSlowReader(server.port())) {
            alice.login("alice");
            // given alice has stopped reading, and the oks of her sends to bob (who acks them
            // all) wait in her queue, more than the sockets' buffers hold
            int sends = 400;
            long oksBefore = server.server().metrics().framesOut("ok");
            for (int i = 0; i < sends; i++) {
                alice.send("{'type':'send','id':'s" + i + "','to':'bob','body':'" + "x".repeat(40) + "'}");
            }
            for (JsonNode m : bob.next("msg", sends)) bob.ack(m.path("seq").asLong());
            Await.until(() -> server.server().metrics().framesOut("ok") - oksBefore == sends, "every ok queued");

            // when the server stops cleanly, and alice reads again only once it has begun
            Thread stopping = Thread.ofVirtual().start(server.server()::close);
            Await.until(() -> refusesConnections(server.port()), "the server stops accepting");

            // then she gets every ok before her connection is closed
            for (int i = 0; i < sends; i++) assertEquals("ok", alice.reply("s" + i).path("type").asText());
            assertTrue(alice.closedByServer());
            stopping.join();
        }
    }

    private static boolean refusesConnections(int port) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            return false;
        } catch (java.io.IOException refused) {
            return true;
        }
    }
}
