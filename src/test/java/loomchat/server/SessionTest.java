package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import loomchat.testing.Await;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A session's life: logout, replacement by a newer login, and the timeouts that close idle connections. */
class SessionTest {

    @Test
    void aLogoutIsAnsweredOkAndClosesTheConnection() throws Exception {
        try (TestServer server = TestServer.start()) {
            server.register("alice");
            try (Wire w = server.connect()) {
                w.login("alice");

                JsonNode r = w.request("{'type':'logout','id':'bye'}", "bye");

                assertEquals("ok", r.path("type").asText());
                assertTrue(w.closedByServer());
            }
        }
    }

    @Test
    void aLogoutRevokesTheTokenItLoggedInWith() throws Exception {
        try (TestServer server = TestServer.start()) {
            server.register("alice");
            String token;
            try (Wire w = server.connect()) {
                token = w.login("alice").path("token").asText();

                w.request("{'type':'logout','id':'bye'}", "bye");
            }

            try (Wire again = server.connect()) {
                assertEquals("bad_credentials", again.loginWithToken("alice", token).path("code").asText());
            }
        }
    }

    @Test
    void aSecondLoginReplacesTheFirstSession() throws Exception {
        try (TestServer server = TestServer.start(); Wire alice = server.userOnline("alice")) {
            server.register("bob");
            try (Wire first = server.connect()) {
                first.login("bob");

                try (Wire second = server.connect()) {
                    second.login("bob");

                    // then the old connection is told, exactly so, and closed
                    JsonNode replaced = first.next();
                    assertEquals("error", replaced.path("type").asText());
                    assertEquals("session_replaced", replaced.path("code").asText());
                    assertFalse(replaced.has("id"), "not a reply to any request");
                    assertTrue(first.closedByServer());

                    // and the new one gets what is sent next
                    String msg = alice.sendMessage("c1", "bob", "to the new session").path("msg").asText();
                    assertEquals(msg, second.next("msg").path("msg").asText());
                }
            }
        }
    }

    @Test
    void everyLoginIsAnsweredOnceEvenWhenTwoOfOneUserRace() throws Exception {
        try (TestServer server = TestServer.start()) {
            // given bob's token
            server.register("bob");
            String token;
            try (Wire bob = server.connect()) {
                token = bob.login("bob").path("token").asText();
            }
            for (int round = 0; round < 200; round++) {
                try (Wire first = server.connect(); Wire second = server.connect()) {
                    // when two connections log him in at the same moment
                    first.send("{'type':'login','id':'a','user':'bob','token':'" + token + "'}");
                    second.send("{'type':'login','id':'b','user':'bob','token':'" + token + "'}");

                    // then each login gets a reply of its own: ok, or session_replaced if the
                    // other took the session over before it completed; and one of them keeps it
                    JsonNode a = first.reply("a");
                    JsonNode b = second.reply("b");
                    for (JsonNode r : List.of(a, b)) {
                        assertTrue("ok".equals(r.path("type").asText())
                                || "session_replaced".equals(r.path("code").asText()), r::toString);
                    }
                    assertTrue("ok".equals(a.path("type").asText()) || "ok".equals(b.path("type").asText()),
                            () -> a + " " + b);
                }
            }
        }
    }

    @Test
    void aLoginWhoseConnectionTimedOutDuringItsHashDoesNotTakeTheLiveSessionOver(@TempDir Path dir)
            throws Exception {
        // given bob's account, hashed slowly (about 2 s a check here), and a token of his
        String token;
        Map<String, Object> slow = Map.of("password_iterations", 8_000_000);
        try (TestServer first = TestServer.start(dir, slow)) {
            first.register("bob");
            try (Wire bob = first.connect()) {
                token = bob.login("bob").path("token").asText();
            }
        }
        // and a server whose connections must log in within 100 ms, with bob online there by token
        try (TestServer server = TestServer.start(dir, Map.of("login_timeout", "100ms"));
             Wire live = server.connect()) {
            assertEquals("ok", live.loginWithToken("bob", token).path("type").asText());

            // when another connection logs in as bob by password, and is closed for the login
            // timeout while the password is hashed
            try (Wire late = server.connect()) {
                late.send("{'type':'login','id':'l','user':'bob','password':'" + Wire.PASSWORD + "'}");
                assertTrue(late.closedByServer());
            }

            // then once that hash is done (and a moment after, when a takeover would have come),
            // bob's live session is still his: not replaced, and answering
            Await.until(() -> server.server().metrics().loginsPassword.sum() == 1, Duration.ofSeconds(20),
                    "the late login's hash");
            Thread.sleep(300);
            JsonNode pong = live.request("{'type':'ping','id':'p'}", "p");
            assertEquals("pong", pong.path("type").asText(), pong::toString);
        }
    }

    @Test
    void loginTimeoutClosesAConnectionThatNeverLogsIn() throws Exception {
        try (TestServer server = TestServer.start(Map.of("login_timeout", "500ms"));
             Wire w = server.connect()) {
            long started = System.nanoTime();

            assertTrue(w.closedByServer());
            long waited = Duration.ofNanos(System.nanoTime() - started).toMillis();
            assertTrue(waited >= 400, "closed after " + waited + " ms, before the timeout");
        }
    }

    @Test
    void loginTimeoutIsNotDodgedByKeepingTheConnectionBusy() throws Exception {
        try (TestServer server = TestServer.start(Map.of("login_timeout", "500ms"));
             Wire w = server.connect()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            boolean closed = false;
            // a ping every 100 ms would reset a plain read timeout forever
            for (int i = 0; !closed && System.nanoTime() < deadline; i++) {
                try {
                    JsonNode pong = w.request("{'type':'ping','id':'p" + i + "'}", "p" + i);
                    assertEquals("pong", pong.path("type").asText());
                    Thread.sleep(100);
                } catch (java.io.IOException e) {
                    closed = true; // reset by the server
                } catch (AssertionError e) {
                    if (!String.valueOf(e.getMessage()).contains("connection closed")) throw e;
                    closed = true;
                }
            }
            assertTrue(closed, "still open after 5 s of pings without a login");
        }
    }

    @Test
    void idleTimeoutClosesASilentLoggedInConnection() throws Exception {
        try (TestServer server = TestServer.start(Map.of("idle_timeout", "1s"));
             Wire w = server.userOnline("alice")) {
            long started = System.nanoTime();

            assertTrue(w.closedByServer());
            long waited = Duration.ofNanos(System.nanoTime() - started).toMillis();
            assertTrue(waited >= 800, "closed after " + waited + " ms, before the idle timeout");
            assertFalse(waited > 5000, "closed only after " + waited + " ms");
        }
    }

    @Test
    void blankLineKeepAlivesKeepALoggedInConnectionOpen() throws Exception {
        try (TestServer server = TestServer.start(Map.of("idle_timeout", "1s"));
             Wire w = server.userOnline("alice")) {

            for (int i = 0; i < 8; i++) { // 2.4 s of nothing but keep-alives, over twice the idle timeout
                w.sendRaw("\n".getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(300);
            }

            assertEquals("pong", w.request("{'type':'ping','id':'p1'}", "p1").path("type").asText());
        }
    }

    @Test
    void theNewSessionGetsWhatTheReplacedOneHadNotAcked() throws Exception {
        try (TestServer server = TestServer.start();
             Wire alice = server.userOnline("alice"); Wire first = server.userOnline("bob")) {
            String msg = alice.sendMessage("c1", "bob", "pushed, never acked").path("msg").asText();
            JsonNode seen = first.next("msg");

            try (Wire second = server.connect()) {
                assertEquals(1, second.login("bob").path("pending").asInt());

                JsonNode again = second.next("msg");
                assertEquals(msg, again.path("msg").asText());
                assertEquals(seen.path("seq").asLong(), again.path("seq").asLong());
            }
        }
    }

    @Test
    void repliesReachAClientThatClosedItsSendingSide() throws Exception {
        try (TestServer server = TestServer.start(); Wire w = server.connect()) {
            w.send("{'type':'ping','id':'p1'}");
            w.send("{'type':'register','id':'r1','user':'alice','password':'correct horse'}");
            w.shutdownOutput(); // end of stream, as `nc -q` or a script piping a file would do

            assertEquals("pong", w.next().path("type").asText());
            assertEquals("ok", w.reply("r1").path("type").asText());
            assertTrue(w.closedByServer());
        }
    }

    @Test
    void aLoginOkComesAfterTheRepliesToRequestsReadBeforeIt() throws Exception {
        try (TestServer server = TestServer.start(Map.of("socket_send_buffer", 4096))) {
            server.register("alice");
            String token;
            try (Wire first = server.connect()) {
                token = first.login("alice").path("token").asText();
            }
            try (Wire w = Wire.connectSlowReader(server.port())) {
                // given pongs enough to fill both sockets' buffers, so that some wait in the queue
                String pad = "p".repeat(60);
                int pings = 400;
                for (int i = 0; i < pings; i++) w.send("{'type':'ping','id':'" + pad + i + "'}");

                // when the client logs in by token without waiting, and only then reads
                w.send("{'type':'login','id':'in','user':'alice','token':'" + token + "'}");
                Thread.sleep(300);

                // then every pong comes before the login's ok
                for (int i = 0; i < pings; i++) {
                    JsonNode next = w.next();
                    assertEquals("pong", next.path("type").asText(), "frame " + i + ": " + next);
                }
                assertEquals("in", w.next().path("id").asText());
            }
        }
    }
}
