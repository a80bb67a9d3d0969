package loomchat.db;

import java.util.Map;
import loomchat.metrics.Metrics;
import loomchat.testing.Await;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What one group-commit transaction may carry. */
class CommitBatchTest {

    @Test
    void aTransactionCarriesAtMostGroupCommitMaxBatchBytesOfBodies() throws Exception {
        // given a long commit delay, so that everything below waits to be written together,
        // and batches of at most 64 KiB of bodies
        try (TestServer server = TestServer.start(Map.of("group_commit_delay", "1s",
                "group_commit_max_batch_bytes", 65536))) {
            server.register("bob");
            Metrics metrics = server.server().metrics();
            long batchesBefore = metrics.commitBatches.sum();
            try (Wire alice = server.userOnline("alice")) {
                // when alice sends offline bob ten messages of 40,000 characters
                String body = "x".repeat(40_000);
                for (int i = 0; i < 10; i++) alice.send("{'type':'send','id':'m" + i + "','to':'bob','body':'" + body + "'}");
                Await.until(() -> metrics.messagesSent.sum() == 10, "all ten sends to be taken");
                // and the server shuts down, which writes everything queued at once
                server.server().close();
            }

            // then the ten took at least five transactions (two 40,000-character bodies fill one),
            // not one
            long batches = metrics.commitBatches.sum() - batchesBefore;
            assertTrue(batches >= 5, batches + " batches");
            // and every one was written
            assertEquals(10, metrics.itemsWritten.sum());
            server.restart();
            try (Wire bob = server.connect()) {
                assertEquals(10, bob.login("bob").path("pending").asInt());
            }
        }
    }

    @Test
    void aRequestIdSentAgainAfterItLeftMemoryDoesNotFailItsBatch() throws Exception {
        // given a server that remembers one send id per sender, and writes an offline user's
        // items only after a while, so that everything below waits to be written together
        try (TestServer server = TestServer.start(Map.of("send_keys_per_user", 1, "group_commit_delay", "1s"))) {
            server.register("bob");
            Metrics metrics = server.server().metrics();
            try (Wire alice = server.userOnline("alice"); Wire eve = server.userOnline("eve")) {
                // when alice's id "a" is pushed out of memory by "b" and then used again (a new
                // send, whose key is the same row as the first's), and eve sends too
                alice.send("{'type':'send','id':'a','to':'bob','body':'one'}");
                alice.send("{'type':'send','id':'b','to':'bob','body':'two'}");
                alice.send("{'type':'send','id':'a','to':'bob','body':'three'}");
                eve.send("{'type':'send','id':'e','to':'bob','body':'innocent'}");
                Await.until(() -> metrics.messagesSent.sum() == 4, "all four sends to be taken");
                // and the server shuts down, which writes everything queued in one transaction
                server.server().close();
            }

            // then it is written: no second row of one key failed the transaction, eve's send with it
            assertEquals(0, metrics.commitFailures.sum());
            assertEquals(4, metrics.itemsWritten.sum());
            server.restart();
            try (Wire bob = server.connect()) {
                assertEquals(4, bob.login("bob").path("pending").asInt());
            }
        }
    }
}
