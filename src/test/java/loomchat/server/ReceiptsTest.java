package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import loomchat.testing.ServerTest;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The check marks: delivered when the recipient acks, read when the recipient says so. */
class ReceiptsTest extends ServerTest {
    @Test
    void onlineSenderGetsADeliveredReceiptWhenTheRecipientAcks() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            String msg = alice.sendMessage("c1", "bob", "hi").path("msg").asText();
            JsonNode item = bob.next("msg");

            bob.ack(item.path("seq").asLong());

            JsonNode receipt = alice.next("receipt");
            assertEquals(msg, receipt.path("msg").asText());
            assertEquals("delivered", receipt.path("status").asText());
            assertEquals("bob", receipt.path("by").asText());
            assertTrue(receipt.path("ts").asLong() > 0);
            assertTrue(receipt.path("seq").asLong() > 0);
        }
    }

    @Test
    void noReceiptBeforeTheRecipientAcks() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            alice.sendMessage("c1", "bob", "first");
            bob.next("msg"); // received but not acked
            String second = alice.sendMessage("c2", "bob", "second").path("msg").asText();
            long seq = bob.next("msg").path("seq").asLong();

            bob.ack(seq);

            // one receipt per message, both only now
            JsonNode r1 = alice.next("receipt");
            JsonNode r2 = alice.next("receipt");
            assertEquals(second, r2.path("msg").asText());
            assertTrue(r1.path("seq").asLong() < r2.path("seq").asLong());
        }
    }

    @Test
    void offlineSenderGetsTheDeliveredReceiptAtNextLogin() throws Exception {
        server.register("bob");
        String msg;
        try (Wire alice = server.userOnline("alice")) {
            msg = alice.sendMessage("c1", "bob", "see you later").path("msg").asText();
        }
        try (Wire bob = server.connect()) {
            bob.login("bob");
            bob.ack(bob.next("msg").path("seq").asLong());
            bob.request("{'type':'ping','id':'sync'}", "sync");
        }

        try (Wire alice = server.connect()) {
            assertEquals(1, alice.login("alice").path("pending").asInt());
            JsonNode receipt = alice.next();
            assertEquals("receipt", receipt.path("type").asText());
            assertEquals(msg, receipt.path("msg").asText());
            assertEquals("delivered", receipt.path("status").asText());
            assertEquals("bob", receipt.path("by").asText());
        }
    }

    @Test
    void readGivesTheSenderAReadReceipt() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            String msg = alice.sendMessage("c1", "bob", "did you read this?").path("msg").asText();
            bob.next("msg");

            bob.send("{'type':'read','msg':'" + msg + "'}");

            JsonNode receipt = alice.next("receipt");
            assertEquals(msg, receipt.path("msg").asText());
            assertEquals("read", receipt.path("status").asText());
            assertEquals("bob", receipt.path("by").asText());
            // no reply to bob on success
            assertEquals("pong", bob.request("{'type':'ping','id':'p'}", "p").path("type").asText());
        }
    }

    @Test
    void readsPastTheSendRateAreRefusedWithRateLimitedAndMakeNoReceipt() throws Exception {
        // given bob may send 2 read receipts in a burst (and one more a second)
        try (TestServer limited = TestServer.start(Map.of("send_rate", 1, "send_burst", 2));
             Wire bob = limited.userOnline("bob"); Wire alice = limited.userOnline("alice")) {
            String msg = alice.sendMessage("c1", "bob", "did you read this?").path("msg").asText();
            bob.next("msg");

            // when he marks it read three times at once
            for (int i = 0; i < 3; i++) bob.send("{'type':'read','msg':'" + msg + "'}");

            // then the third is refused, and alice gets two read receipts
            JsonNode error = bob.next("error");
            assertEquals("rate_limited", error.path("code").asText(), error::toString);
            assertEquals(2, alice.next("receipt", 2).size());
            alice.expectSilence(java.time.Duration.ofMillis(200));
        }
    }

    @Test
    void readFromSomeoneOtherThanTheRecipientIsInvalid() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice"); Wire carol = server.userOnline("carol")) {
            String msg = alice.sendMessage("c1", "bob", "for bob only").path("msg").asText();

            carol.send("{'type':'read','msg':'" + msg + "'}");
            JsonNode error = carol.next();
            assertEquals("error", error.path("type").asText());
            assertEquals("invalid", error.path("code").asText());

            alice.send("{'type':'read','msg':'" + msg + "'}"); // the sender cannot mark it read either
            assertEquals("invalid", alice.next("error").path("code").asText());
        }
        // and alice got no read receipt
        try (Wire alice = server.connect()) {
            assertEquals(0, alice.login("alice").path("pending").asInt());
        }
    }

    @Test
    void readOfAForgedMessageIdIsInvalid() throws Exception {
        try (Wire alice = server.userOnline("alice"); Wire bob = server.userOnline("bob")) {
            String msg = alice.sendMessage("c1", "bob", "genuine").path("msg").asText();
            bob.next("msg");
            // a forged id naming carol as the sender, with alice's signature
            String[] parts = msg.split(":");
            server.register("carol");
            String forged = parts[0] + ":carol:bob:" + parts[3];

            bob.send("{'type':'read','msg':'" + forged + "'}");
            assertEquals("invalid", bob.next().path("code").asText());
            bob.send("{'type':'read','msg':'made-up'}");
            assertEquals("invalid", bob.next().path("code").asText());
        }
        try (Wire carol = server.connect()) {
            assertEquals(0, carol.login("carol").path("pending").asInt(), "no receipt reached carol");
        }
    }

    @Test
    void ackingAReceiptSendsNoReceiptBack() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            alice.sendMessage("c1", "bob", "hi");
            bob.ack(bob.next("msg").path("seq").asLong());
            JsonNode receipt = alice.next("receipt");

            alice.ack(receipt.path("seq").asLong());
            alice.sendMessage("c2", "bob", "again");

            // a receipt for the receipt would have reached bob before this message
            JsonNode next = bob.next();
            assertEquals("msg", next.path("type").asText(), next::toString);
            assertEquals("again", next.path("body").asText());
        }
    }
}
