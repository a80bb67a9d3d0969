package loomchat.client;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import loomchat.protocol.ServerFrame.InboxItem;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** {@link ChatClient#close()}: the polite goodbye, which acknowledges what the listener has seen. */
class ChatClientCloseTest extends ServerTest {

    @Test
    void anItemTheListenerHasSeenIsNotPushedAgainAfterClose() throws Exception {
        // given bob online through the client library with auto-ack, whose listener hands each
        // item on and is still busy with it for a moment (saving it, say)
        server.register("bob");
        BlockingQueue<InboxItem> inbox = new LinkedBlockingQueue<>();
        ChatClient bob = ChatClient.connect("127.0.0.1", server.port()).onItem(item -> {
            inbox.add(item);
            busyFor(200);
        });
        bob.login("bob", Wire.PASSWORD);
        try (Wire alice = server.userOnline("alice")) {
            alice.send("{'type':'send','id':'c1','to':'bob','body':'see you'}");

            // when bob closes the connection as soon as he has the item
            assertNotNull(inbox.poll(5, TimeUnit.SECONDS), "bob's item");
            bob.close();

            // then the server has his ack: a new login of his finds nothing pending
            try (Wire again = server.connect()) {
                assertEquals(0, again.login("bob").path("pending").asInt());
            }
        }
    }

    private static void busyFor(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
