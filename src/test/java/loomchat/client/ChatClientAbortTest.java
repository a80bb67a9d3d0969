package loomchat.client;

import com.fasterxml.jackson.databind.JsonNode;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
    void itemsThatArriveBeforeAnyItemListenerIsSetAreNotAcked() throws Exception {
        // given bob logged in through the client library with auto-ack on but no onItem listener
        server.register("bob");
        ChatClient bob = ChatClient.connect("127.0.0.1", server.port());
        bob.login("bob", Wire.PASSWORD);

        // when alice sends him a message, and it has reached him (his pong comes after it)
        try (Wire alice = server.userOnline("alice")) {
            alice.sendMessage("c1", "bob", "nobody is listening");
        }
        bob.ping();
        bob.close();

        // then nothing acked it: it waits for his next login
        try (Wire again = server.connect()) {
            assertEquals(1, again.login("bob").path("pending").asInt());
            assertEquals("nobody is listening", again.next("msg").path("body").asText());
        }
    }

    @Test
    void aListenerSetLateDoesNotAckTheItemsThatCameBeforeIt() throws Exception {
        // given bob logged in with no listener, and a first message reached him unseen
        server.register("bob");
        ChatClient bob = ChatClient.connect("127.0.0.1", server.port());
        bob.login("bob", Wire.PASSWORD);
        try (Wire alice = server.userOnline("alice")) {
            alice.sendMessage("c1", "bob", "unseen");
            bob.ping();

            // when he sets a listener, and a second message reaches it
            java.util.concurrent.BlockingQueue<loomchat.protocol.ServerFrame.InboxItem> seen =
                    new java.util.concurrent.LinkedBlockingQueue<>();
            bob.onItem(seen::add);
            alice.sendMessage("c2", "bob", "seen");
            var second = (loomchat.protocol.ServerFrame.Msg) seen.poll(5, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals("seen", second.body());
        }
        bob.ping();
        bob.close();

        // then the ack for the second did not take the first with it: both wait for his next login
        try (Wire again = server.connect()) {
            assertEquals(2, again.login("bob").path("pending").asInt());
            assertEquals("unseen", again.next("msg").path("body").asText());
        }
    }
}
