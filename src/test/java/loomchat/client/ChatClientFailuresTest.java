package loomchat.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import loomchat.protocol.ClientFrame;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.ServerFrame;
import loomchat.protocol.ServerFrame.InboxItem;
import loomchat.testing.Await;
import loomchat.testing.ServerTest;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@link ChatClient} says when something goes wrong, so that a test author can tell what did. */
class ChatClientFailuresTest extends ServerTest {

    @Test
    void aSendCutOffByALostConnectionNamesItsIdSoItsRetryIsDeliveredOnce() throws Exception {
        try (TestServer slowOks = TestServer.start(Map.of("ack_grace", "2s"));
             Wire bob = slowOks.userOnline("bob")) {
            // given alice's send, pushed to bob, who does not ack: its ok waits for ack_grace
            slowOks.register("alice");
            ChatClient alice = ChatClient.connect("127.0.0.1", slowOks.port());
            alice.login("alice", Wire.PASSWORD);
            var sent = alice.send("bob", "hi");
            String msg = bob.next("msg").path("msg").asText();

            // when her connection is lost before the ok
            alice.abort();

            // then the failure names the send, and a retry with that id on a new connection
            // answers with the first message, which bob is not sent again
            ChatException lost = assertInstanceOf(ChatException.class,
                    assertThrows(ExecutionException.class, sent::get).getCause());
            assertTrue(lost.requestId() != null, "the lost send's id");
            try (ChatClient again = ChatClient.connect("127.0.0.1", slowOks.port())) {
                again.login("alice", Wire.PASSWORD);
                ServerFrame.SendOk retried = again.send(new ClientFrame.Send(lost.requestId(), "bob", null, "hi", null))
                        .get(10, TimeUnit.SECONDS);
                assertEquals(msg, retried.msg());
            }
            bob.expectSilence(Duration.ofMillis(300));
        }
    }

    @Test
    void aClientWithKeepAliveGivesUpANetworkThatDiedWithoutAWord() throws Exception {
        // given alice connected through a network that will go dark: no FIN, no reset, nothing
        server.register("bob");
        try (Blackhole network = new Blackhole(server.port())) {
            CountDownLatch closed = new CountDownLatch(1);
            ChatClient alice = ChatClient.connect("127.0.0.1", network.port()).onClose(closed::countDown)
                    .keepAlive(Duration.ofMillis(200));
            alice.register("alice", Wire.PASSWORD);
            alice.login("alice", Wire.PASSWORD);

            // when the network goes dark under a send
            network.dark = true;
            var lost = alice.send("bob", "into the void");

            // then within a few keep-alive intervals the client ends the connection itself
            assertTrue(closed.await(5, TimeUnit.SECONDS), "onClose ran");
            assertFalse(alice.isOpen());
            assertTrue(lost.isCompletedExceptionally(), "the send failed, naming itself for a retry");
            assertTrue(alice.closeCause().getMessage().contains("keepAlive"), alice.closeCause().getMessage());
        }
    }

    @Test
    void aQuietClientWithKeepAliveStaysConnected() throws Exception {
        // given a server that closes sessions silent for 1 s, and alice, who says nothing
        try (TestServer strict = TestServer.start(Map.of("idle_timeout", "1s"))) {
            strict.register("alice");
            ChatClient alice = ChatClient.connect("127.0.0.1", strict.port()).keepAlive(Duration.ofMillis(300));
            alice.login("alice", Wire.PASSWORD);

            // when three idle timeouts pass
            Thread.sleep(3000);

            // then her pings kept the session
            assertTrue(alice.isOpen(), () -> String.valueOf(alice.closeCause()));
            alice.close();
        }
    }

    /** A TCP relay to the server that can go dark: from then on it carries nothing and closes nothing. */
    private static final class Blackhole implements AutoCloseable {
        volatile boolean dark;
        private final java.net.ServerSocket listening = new java.net.ServerSocket(0);
        private final java.util.List<java.net.Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

        Blackhole(int serverPort) throws IOException {
            Thread.ofVirtual().start(() -> {
                try {
                    java.net.Socket client = listening.accept();
                    java.net.Socket upstream = new java.net.Socket("127.0.0.1", serverPort);
                    sockets.add(client);
                    sockets.add(upstream);
                    carry(client, upstream);
                    carry(upstream, client);
                } catch (IOException ignored) {
                    // closed
                }
            });
        }

        int port() {
            return listening.getLocalPort();
        }

        private void carry(java.net.Socket from, java.net.Socket to) {
            Thread.ofVirtual().start(() -> {
                byte[] b = new byte[8192];
                try {
                    for (int n; (n = from.getInputStream().read(b)) >= 0; ) {
                        if (!dark) to.getOutputStream().write(b, 0, n);
                    }
                } catch (IOException ignored) {
                    // closed
                }
            });
        }

        @Override
        public void close() throws IOException {
            listening.close();
            for (java.net.Socket s : sockets) s.close();
        }
    }

    @Test
    void anOldRefusalWithoutAnIdIsNotTakenForTheReasonOfALaterClose() throws Exception {
        // given bob's read of a message that is not his was refused (an error without an id)
        server.register("bob");
        BlockingQueue<ServerFrame> events = new LinkedBlockingQueue<>();
        ChatClient bob = ChatClient.connect("127.0.0.1", server.port()).onEvent(events::add);
        bob.login("bob", Wire.PASSWORD);
        bob.read("not-a-message-of-bobs");
        ServerFrame.Error refused = assertInstanceOf(ServerFrame.Error.class, events.poll(5, TimeUnit.SECONDS));
        assertEquals(ErrorCode.INVALID, refused.code());

        // when he closes the connection himself
        bob.close();

        // then the close is his own, with no server code attached
        assertNull(bob.closeCause().code(), bob.closeCause().getMessage());
    }

    @Test
    void aListenerThatThrowsAnAssertionErrorIsNamedAsTheReasonOfTheClose() throws Exception {
        // given bob's item listener fails an assertion
        server.register("bob");
        ChatClient bob = ChatClient.connect("127.0.0.1", server.port())
                .onItem(item -> { throw new AssertionError("the listener's own check failed"); });
        bob.login("bob", Wire.PASSWORD);

        // when an item arrives
        try (Wire alice = server.userOnline("alice")) {
            alice.sendMessage("c1", "bob", "hello");
        }

        // then the client closes, and says it was the listener, not the server
        Await.until(() -> !bob.isOpen(), Duration.ofSeconds(5), "the client to close");
        assertFalse(bob.isOpen());
        assertTrue(bob.closeCause().getMessage().contains("the listener's own check failed"), bob.closeCause().getMessage());
        bob.close();
    }

    @Test
    void aListenerThatThrowsIsNamedAsTheReasonOfTheClose() throws Exception {
        // given bob's item listener fails with an exception
        server.register("bob");
        ChatClient bob = ChatClient.connect("127.0.0.1", server.port())
                .onItem(item -> { throw new IllegalStateException("the listener's database is down"); });
        bob.login("bob", Wire.PASSWORD);

        // when an item arrives
        try (Wire alice = server.userOnline("alice")) {
            alice.send("{'type':'send','id':'c1','to':'bob','body':'hello'}");

            // then the client closes, and says it was the listener
            Await.until(() -> !bob.isOpen(), Duration.ofSeconds(5), "the client to close");
            bob.close();
            String why = bob.closeCause().getMessage();
            assertTrue(why.contains("onItem") && why.contains("the listener's database is down"), why);
        }
    }

    @Test
    void anItemWhoseListenerThrewIsPushedAgainAtTheNextLogin() throws Exception {
        // given bob's item listener fails with an exception on what it is given
        server.register("bob");
        BlockingQueue<InboxItem> tried = new LinkedBlockingQueue<>();
        ChatClient bob = ChatClient.connect("127.0.0.1", server.port()).onItem(item -> {
            tried.add(item);
            throw new IllegalStateException("the listener's database is down");
        });
        bob.login("bob", Wire.PASSWORD);
        try (Wire alice = server.userOnline("alice")) {
            alice.send("{'type':'send','id':'c1','to':'bob','body':'hello'}");
            ServerFrame.Msg first = assertInstanceOf(ServerFrame.Msg.class, tried.poll(5, TimeUnit.SECONDS));
            Await.until(() -> !bob.isOpen(), Duration.ofSeconds(5), "the client to close");
            bob.close();

            // when bob logs in again
            try (Wire again = server.connect()) {
                JsonNode login = again.login("bob");

                // then the item the listener failed on was not acknowledged: it is pushed again
                assertEquals(1, login.path("pending").asInt());
                JsonNode msg = again.next("msg");
                assertEquals(first.seq(), msg.path("seq").asLong());
                assertEquals(first.msg(), msg.path("msg").asText());
            }
        }
    }

    @Test
    void aServerAtItsConnectionLimitIsReportedWithItsCode() throws Exception {
        // given a server that takes one connection, and has it
        server.close();
        server = TestServer.start(Map.of("max_connections", 1));
        try (Wire first = server.connect()) {

            // when another client connects
            IOException refused = assertThrows(IOException.class,
                    () -> ChatClient.connect("127.0.0.1", server.port()));

            // then the server's refusal, {"type":"error","code":"overloaded",...}, comes with its code
            ChatException why = assertInstanceOf(ChatException.class, refused.getCause(), refused.toString());
            assertEquals(ErrorCode.OVERLOADED, why.code());
        }
    }

    @Test
    void aRefusedSendCarriesItsRequestIdForTheRetry() throws Exception {
        server.register("alice");
        try (ChatClient alice = ChatClient.connect("127.0.0.1", server.port())) {
            alice.login("alice", Wire.PASSWORD);

            ExecutionException refused = assertThrows(ExecutionException.class, () ->
                    alice.send("nobody-here", "hi").get(5, TimeUnit.SECONDS));

            ChatException e = assertInstanceOf(ChatException.class, refused.getCause());
            assertEquals(ErrorCode.NO_SUCH_USER, e.code());
            assertTrue(e.requestId() != null && !e.requestId().isEmpty(), "the id to retry with");
        }
    }

    @Test
    void aRequestIdTheServerCannotEchoFailsAtOnceInsteadOfWaitingForever() throws Exception {
        server.register("bob");
        try (ChatClient bob = ChatClient.connect("127.0.0.1", server.port())) {
            bob.login("bob", Wire.PASSWORD);

            ExecutionException tooLong = assertThrows(ExecutionException.class, () ->
                    bob.send(new ClientFrame.Send("x".repeat(65), "bob", null, "hi", null)).get(5, TimeUnit.SECONDS));

            assertEquals(ErrorCode.INVALID, assertInstanceOf(ChatException.class, tooLong.getCause()).code());
        }
    }
}
