package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** One user's inbox is bounded by items and by bytes; a refused send says {@code overloaded}. */
class InboxLimitsTest {

    @Test
    void aSendToAnInboxHoldingMaxInboxItemsIsRefusedAsOverloaded() throws Exception {
        try (TestServer server = TestServer.start(Map.of("max_inbox_items", 16, "inbox_senders_to_fill", 1));
             Wire alice = server.userOnline("alice")) {
            server.register("bob"); // offline: nothing is acknowledged
            for (int i = 0; i < 16; i++) assertEquals("ok", alice.sendMessage("s" + i, "bob", "hi").path("type").asText());

            JsonNode refused = alice.request("{'type':'send','id':'s16','to':'bob','body':'one too many'}", "s16");

            assertEquals("overloaded", refused.path("code").asText());
        }
    }

    @Test
    void receiptsWaitingInAnInboxNeverMakeASendToItRefused() throws Exception {
        try (TestServer server = TestServer.start(Map.of("max_inbox_items", 16));
             Wire alice = server.userOnline("alice"); Wire bob = server.userOnline("bob")) {
            // given alice's inbox holds 20 receipts she has not acked, more than max_inbox_items
            for (int i = 0; i < 20; i++) {
                alice.send("{'type':'send','id':'s" + i + "','to':'bob','body':'hi'}");
                bob.ack(bob.next("msg").path("seq").asLong());
            }
            alice.next("receipt", 20);

            // when bob writes to her
            JsonNode reply = bob.request("{'type':'send','id':'b1','to':'alice','body':'still room?'}", "b1");

            // then the message is taken: receipts are counted apart from messages
            assertEquals("ok", reply.path("type").asText(), reply::toString);
            assertEquals("still room?", alice.next("msg").path("body").asText());
        }
    }

    @Test
    void aSendThatWouldTakeAnInboxPastMaxInboxBytesIsRefusedUntilBobAcks() throws Exception {
        try (TestServer server = TestServer.start(Map.of("max_inbox_bytes", 65536, "max_frame_bytes", 65536,
                "inbox_senders_to_fill", 1));
             Wire alice = server.userOnline("alice")) {
            server.register("bob");
            String body = "x".repeat(20_000);
            for (int i = 0; i < 3; i++) assertEquals("ok", alice.sendMessage("s" + i, "bob", body).path("type").asText());

            // when a fourth 20,000-character body would pass 65,536
            JsonNode refused = alice.request("{'type':'send','id':'s3','to':'bob','body':'" + body + "'}", "s3");

            // then it is refused, though the inbox holds only three items
            assertEquals("overloaded", refused.path("code").asText());
            // and once bob has taken and acked them, there is room again
            try (Wire bob = server.connect()) {
                bob.login("bob");
                bob.ack(bob.next("msg", 3).getLast().path("seq").asLong());
                bob.expectSilence(java.time.Duration.ofMillis(200)); // the ack is processed before the retry
                assertEquals("ok", alice.request("{'type':'send','id':'s3','to':'bob','body':'" + body + "'}", "s3")
                        .path("type").asText());
            }
        }
    }

    @Test
    void oneSenderMayFillOnlyAnEighthOfAnOfflineUsersInbox() throws Exception {
        // given bob is offline, with room for 16 messages, and alice has sent him two: an eighth
        try (TestServer server = TestServer.start(Map.of("max_inbox_items", 16));
             Wire alice = server.userOnline("alice"); Wire carol = server.userOnline("carol")) {
            server.register("bob");
            for (int i = 0; i < 2; i++) {
                assertEquals("ok", alice.sendMessage("s" + i, "bob", "hi").path("type").asText());
            }

            // when she sends a third
            JsonNode refused = alice.request("{'type':'send','id':'s2','to':'bob','body':'and again'}", "s2");

            // then it is refused, while carol's message to him is still taken
            assertEquals("overloaded", refused.path("code").asText(), refused::toString);
            assertEquals("ok", carol.sendMessage("c0", "bob", "hello bob").path("type").asText());
        }
    }

    @Test
    void aSendersShareComesBackAsTheRecipientReads() throws Exception {
        // given alice has sent offline bob her share (two of 16)
        try (TestServer server = TestServer.start(Map.of("max_inbox_items", 16));
             Wire alice = server.userOnline("alice")) {
            server.register("bob");
            for (int i = 0; i < 2; i++) alice.sendMessage("s" + i, "bob", "hi");

            // when bob comes online and acks them
            try (Wire bob = server.connect()) {
                bob.login("bob");
                bob.ack(bob.next("msg", 2).get(1).path("seq").asLong());
                bob.request("{'type':'ping','id':'p'}", "p"); // the ack is read before the pong
            }

            // then alice may send him more
            assertEquals("ok", alice.sendMessage("s2", "bob", "more").path("type").asText());
        }
    }
}
