package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 1:1 store-and-forward: a message waits in the recipient's inbox until acknowledged. */
class StoreAndForwardTest {
    TestServer server;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void messageToOfflineUserIsPushedAtLogin() throws Exception {
        // given bob is registered but offline
        try (Wire bob = server.connect()) {
            bob.register("bob");
        }
        try (Wire alice = server.userOnline("alice")) {
            // when alice sends to him
            JsonNode ok = alice.request("{'type':'send','id':'c1','to':'bob','body':'hi bob'}", "c1");
            assertEquals("ok", ok.path("type").asText());
            String msg = ok.path("msg").asText();

            // then bob gets it when he logs in, counted as pending
            try (Wire bob = server.connect()) {
                JsonNode login = bob.login("bob");
                assertEquals(1, login.path("pending").asInt());
                JsonNode item = bob.next("msg");
                assertEquals(msg, item.path("msg").asText());
                assertEquals("alice", item.path("from").asText());
                assertEquals("bob", item.path("to").asText());
                assertEquals("hi bob", item.path("body").asText());
                assertEquals(1, item.path("seq").asLong());
                assertEquals(ok.path("ts").asLong(), item.path("ts").asLong());
            }
        }
    }

    @Test
    void ackingAMessageSendsTheSenderADeliveredReceipt() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            String msg = alice.request("{'type':'send','id':'c1','to':'bob','body':'hi'}", "c1").path("msg").asText();
            JsonNode item = bob.next("msg");

            bob.send("{'type':'ack','seq':" + item.path("seq").asLong() + "}");

            JsonNode receipt = alice.next("receipt");
            assertEquals(msg, receipt.path("msg").asText());
            assertEquals("delivered", receipt.path("status").asText());
            assertEquals("bob", receipt.path("by").asText());
            assertTrue(receipt.path("seq").asLong() > 0);
        }
    }
}
