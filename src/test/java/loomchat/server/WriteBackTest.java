package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import loomchat.metrics.Metrics;
import loomchat.testing.Await;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
            // the first item of a new user waits for its seq reservation to be written: warm up
            alice.sendMessage("warm-up", "bob", "warm up");
            bob.ack(bob.next("msg").path("seq").asLong());
            alice.ack(alice.next("receipt").path("seq").asLong());
            Await.until(() -> metrics.itemsWritten.sum() + metrics.itemsSkipped.sum() >= 2, "the warm-up batches");
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
