package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import loomchat.metrics.Metrics;
import loomchat.testing.Await;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Group commit's write-back: an item its recipient acks before its batch is written never
 * touches disk; an item for an offline recipient is written before its sender gets the ok.
 */
class WriteBackTest {

    @Test
    void itemAckedBeforeItsBatchIsSkipped() throws Exception {
        // a long batch delay makes "acked before written" certain rather than likely
        try (TestServer server = TestServer.start(Map.of("group_commit_delay", "500ms"));
             Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            Metrics metrics = server.server().metrics();
            warmUp(alice, bob, metrics);
            long skipped = metrics.itemsSkipped.sum();
            long written = metrics.itemsWritten.sum();

            alice.send("{'type':'send','id':'c1','to':'bob','body':'fast'}");
            JsonNode item = bob.next("msg"); // pushed before it is durable: the ok waits, the push need not
            bob.ack(item.path("seq").asLong());
            JsonNode ok = alice.reply("c1");

            assertEquals("ok", ok.path("type").asText());
            assertEquals(item.path("msg").asText(), ok.path("msg").asText());
            Await.until(() -> metrics.itemsSkipped.sum() >= skipped + 1, "the item to be skipped");
            // alice's delivered receipt for it is written (she does not ack): nothing else was
            Await.until(() -> metrics.itemsWritten.sum() >= written + 1, "the receipt to be written");
            assertEquals(written + 1, metrics.itemsWritten.sum(), "the message itself was not written");
        }
    }

    @Test
    void anOnlineRecipientsAckAfterTheCommitDelayButWithinAckGraceStillSavesTheWrite() throws Exception {
        // given the production timings: offline items wait 20 ms, online ones up to ack_grace
        try (TestServer server = TestServer.start(Map.of("group_commit_delay", "20ms", "ack_grace", "5s"));
             Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            Metrics metrics = server.server().metrics();
            warmUp(alice, bob, metrics);
            long written = metrics.itemsWritten.sum();
            long skipped = metrics.itemsSkipped.sum();

            // when bob takes far longer than group_commit_delay to ack (a busy phone)
            alice.send("{'type':'send','id':'c1','to':'bob','body':'slow ack'}");
            JsonNode item = bob.next("msg");
            Thread.sleep(300);
            bob.ack(item.path("seq").asLong());

            // then alice's ok comes at the ack, and neither the message nor her receipt touched disk
            assertEquals("ok", alice.reply("c1").path("type").asText());
            alice.ack(alice.next("receipt").path("seq").asLong());
            Await.until(() -> metrics.itemsSkipped.sum() >= skipped + 2, "the message and the receipt to be skipped");
            assertEquals(written, metrics.itemsWritten.sum());
        }
    }

    @Test
    void anOnlineRecipientWhoDoesNotAckGetsTheItemWrittenAfterAckGrace() throws Exception {
        try (TestServer server = TestServer.start(Map.of("group_commit_delay", "20ms", "ack_grace", "400ms"));
             Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            Metrics metrics = server.server().metrics();
            warmUp(alice, bob, metrics);
            long written = metrics.itemsWritten.sum();

            // when bob is sent a message and never acks it
            long sent = System.nanoTime();
            alice.send("{'type':'send','id':'c1','to':'bob','body':'unread'}");
            bob.next("msg");
            JsonNode ok = alice.reply("c1");
            long waitedMillis = (System.nanoTime() - sent) / 1_000_000;

            // then the ok waited for the item to be written, once ack_grace had passed
            assertEquals("ok", ok.path("type").asText());
            assertTrue(waitedMillis >= 400, "ok after " + waitedMillis + " ms");
            assertEquals(written + 1, metrics.itemsWritten.sum());
        }
    }

    @Test
    void acknowledgedItemsQueuedBehindAnUnacknowledgedOneGiveBackTheirRoom() throws Exception {
        // given one commit lane with room for 16 items, and items held up to 30 s for their ack
        try (TestServer server = TestServer.start(Map.of("commit_lanes", 1, "commit_queue_capacity", 16,
                "ack_grace", "30s"));
             Wire carol = server.userOnline("carol"); Wire dave = server.userOnline("dave");
             Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            Metrics metrics = server.server().metrics();
            // and a message from dave to carol at the front of the queue, which she never acks
            dave.send("{'type':'send','id':'c0','to':'carol','body':'unread'}");
            carol.next("msg");

            // when alice sends bob 40 messages, each once there is room for it and its receipt,
            // and bob acks each message and alice each receipt
            for (int i = 1; i <= 40; i++) {
                // (without the sweep, the queue stays full behind carol's item until her 30 s are up)
                Await.until(() -> metrics.gaugeValue("loomchat_commit_backlog") <= 13, "room for two items");
                JsonNode reply = sendAckedBothWays(alice, bob, i);

                // then every send is taken
                assertEquals("ok", reply.path("type").asText(), "send " + i + ": " + reply);
            }
        }
    }

    @Test
    void aClientLoggingInAndOutAgainAndAgainDoesNotTakeTheRoomOfOthersSends() throws Exception {
        // given one commit lane with room for 64 operations, and bob gone for good: his last-seen
        // time heads the queue for its ten seconds
        try (TestServer server = TestServer.start(Map.of("commit_lanes", 1, "commit_queue_capacity", 64))) {
            server.register("carol", "mallory");
            try (Wire bob = server.userOnline("bob")) {
                bob.request("{'type':'logout','id':'x'}", "x");
            }

            // when mallory logs in and out 80 times, each time queueing a last-seen time that
            // supersedes her previous one
            for (int i = 0; i < 80; i++) {
                try (Wire mallory = server.connect()) {
                    mallory.login("mallory");
                    mallory.request("{'type':'logout','id':'x'}", "x");
                }
            }

            // then a send from someone else still finds room
            try (Wire alice = server.userOnline("alice")) {
                JsonNode reply = alice.request("{'type':'send','id':'m1','to':'carol','body':'hi'}", "m1");
                assertEquals("ok", reply.path("type").asText(), reply::toString);
            }
        }
    }

    /** Alice sends bob message {@code i}, bob acks it, alice acks its receipt; returns alice's reply. */
    private static JsonNode sendAckedBothWays(Wire alice, Wire bob, int i) throws Exception {
        alice.send("{'type':'send','id':'b" + i + "','to':'bob','body':'m" + i + "'}");
        bob.ack(bob.next("msg").path("seq").asLong());
        // bob's ack brings alice both her ok and her receipt, in either order
        JsonNode reply = null;
        JsonNode receipt = null;
        while (reply == null || receipt == null) {
            JsonNode frame = alice.next();
            if (frame.path("type").asText().equals("receipt")) receipt = frame;
            else if ((reply = frame).path("type").asText().equals("error")) return reply;
        }
        alice.ack(receipt.path("seq").asLong());
        return reply;
    }

    /** A first message each way: a new user's first item waits for its seq reservation to be written. */
    private static void warmUp(Wire alice, Wire bob, Metrics metrics) throws Exception {
        alice.send("{'type':'send','id':'warm-up','to':'bob','body':'warm up'}");
        bob.ack(bob.next("msg").path("seq").asLong());
        alice.reply("warm-up");
        alice.ack(alice.next("receipt").path("seq").asLong());
        Await.until(() -> metrics.itemsWritten.sum() + metrics.itemsSkipped.sum() >= 2, "the warm-up batches");
    }

    @Test
    void itemForAnOfflineRecipientIsWritten() throws Exception {
        try (TestServer server = TestServer.start()) {
            server.register("bob");
            Metrics metrics = server.server().metrics();
            try (Wire alice = server.userOnline("alice")) {
                long written = metrics.itemsWritten.sum();

                alice.sendMessage("c1", "bob", "for later");

                Await.until(() -> metrics.itemsWritten.sum() == written + 1, "the item to be written");
                assertEquals(0, metrics.itemsSkipped.sum());
            }
        }
    }
}
