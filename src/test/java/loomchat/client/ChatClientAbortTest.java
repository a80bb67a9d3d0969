package loomchat.client;

import com.fasterxml.jackson.databind.JsonNode;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link ChatClient#abort()}: a dropped connection, as a failing network drops it. */
class ChatClientAbortTest extends ServerTest {

    @Test
    void anAbortedClientIsOfflineAndItsUnackedItemsWaitForItsNextLogin() throws Exception {
        // given bob online through the client library, without acking, and alice watching him
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            alice.request("{'type':'subscribe','id':'1','user':'bob'}", "1");
            assertEquals("offline", alice.next("presence").path("status").asText());
            ChatClient bob = ChatClient.connect("127.0.0.1", server.port()).autoAck(false);
            bob.login("bob", Wire.PASSWORD);
            assertEquals("online", alice.next("presence").path("status").asText());
            alice.sendMessage("c1", "bob", "before the drop");

            // when his connection is dropped with a reset
            bob.abort();

            // then the server ends his session, and the message waits for him
            assertFalse(bob.isOpen());
            assertEquals("offline", alice.next("presence").path("status").asText());
            try (Wire again = server.connect()) {
                assertEquals(1, again.login("bob").path("pending").asInt());
                JsonNode item = again.next("msg");
                assertEquals("before the drop", item.path("body").asText());
            }
        }
    }

    @Test
    void aClientWithNoItemListenerAcksWhatItIsPushed() throws Exception {
        // given bob logged in through the client library with auto-ack on and no onItem listener,
        // as a client that only sends would be
        server.register("bob");
        ChatClient bob = ChatClient.connect("127.0.0.1", server.port());
        bob.login("bob", Wire.PASSWORD);

        try (Wire alice = server.userOnline("alice")) {
            // when alice sends him a message
            String msg = alice.sendMessage("c1", "bob", "for nobody to see").path("msg").asText();

            // then it is acked, so that nothing piles up for him: she gets its delivered receipt
            JsonNode receipt = alice.next("receipt");
            assertEquals(msg, receipt.path("msg").asText());
            assertEquals("delivered", receipt.path("status").asText());
        }
        bob.close();
    }

    @Test
    void anItemListenerSetAfterLoginIsRefused() throws Exception {
        // given bob logged in through the client library
        server.register("bob");
        try (ChatClient bob = ChatClient.connect("127.0.0.1", server.port())) {
            bob.login("bob", Wire.PASSWORD);

            // when he sets a listener now, then he is told it is too late (items may have come already)
            assertThrows(IllegalStateException.class, () -> bob.onItem(item -> { }));
        }
    }
}
