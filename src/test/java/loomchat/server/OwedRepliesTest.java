package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every request gets its reply, even when the connection is ending: a send's {@code ok} comes
 * later than the send was read (once the message is safe), and neither a logout, the end of the
 * client's stream, nor a close the server starts (a newer login, a frame too large, too many bad
 * frames) may drop it. The frame that ends the connection comes last.
 */
class OwedRepliesTest {
    /**
     * Holds a send's ok back: sent to a recipient online who does not ack, the ok waits for
     * {@code ack_grace}, long enough for the connection's end to come first.
     */
    private static final Map<String, Object> SLOW_OKS = Map.of("ack_grace", "2s", "max_frame_bytes", 1024,
            "max_bad_frames", 2);

    @Test
    void aSendToAnOfflineUserIsAnsweredBeforeTheConnectionEndsAtEndOfStream() throws Exception {
        try (TestServer server = TestServer.start(); Wire alice = server.userOnline("alice")) {
            server.register("bob"); // offline: the ok waits for the message's commit

            alice.send("{'type':'send','id':'s1','to':'bob','body':'hi'}");
            alice.shutdownOutput();

            assertEquals("ok", alice.reply("s1").path("type").asText());
            assertTrue(alice.closedByServer());
        }
    }

    @Test
    void aSendJustBeforeALogoutIsAnsweredBeforeTheLogout() throws Exception {
        try (TestServer server = TestServer.start(); Wire alice = server.userOnline("alice")) {
            server.register("bob");

            alice.send("{'type':'send','id':'s1','to':'bob','body':'hi'}");
            alice.send("{'type':'logout','id':'bye'}");

            JsonNode first = alice.next();
            assertEquals("s1", first.path("id").asText());
            assertEquals("ok", first.path("type").asText());
            assertEquals("bye", alice.reply("bye").path("id").asText());
            assertTrue(alice.closedByServer());
        }
    }

    @Test
    void aGroupRequestJustBeforeALogoutIsAnswered() throws Exception {
        try (TestServer server = TestServer.start(); Wire alice = server.userOnline("alice")) {
            server.register("bob");

            alice.send("{'type':'group_create','id':'g1','name':'team','members':['bob']}");
            alice.send("{'type':'logout','id':'bye'}");

            Map<String, JsonNode> replies = alice.replies("g1", "bye");
            assertTrue(replies.get("g1").path("group").asText().startsWith("g-"));
            assertEquals("ok", replies.get("bye").path("type").asText());
            assertTrue(alice.closedByServer());
        }
    }

    @Test
    void aGroupListJustBeforeEndOfStreamIsAnswered() throws Exception {
        try (TestServer server = TestServer.start(); Wire alice = server.userOnline("alice")) {

            alice.send("{'type':'groups','id':'list'}");
            alice.shutdownOutput();

            assertEquals("ok", alice.reply("list").path("type").asText());
            assertTrue(alice.closedByServer());
        }
    }

    @Test
    void aSendReadBeforeANewerLoginIsAnsweredBeforeSessionReplaced() throws Exception {
        try (TestServer server = TestServer.start(SLOW_OKS);
             Wire bob = server.userOnline("bob");
             Wire alice = server.userOnline("alice")) {
            // given a send whose ok waits for bob's ack (which never comes) or ack_grace
            sendWithItsOkOwed(alice, bob);

            // when alice logs in again elsewhere
            try (Wire again = server.connect()) {
                assertEquals("ok", again.login("alice").path("type").asText());

                // then the old connection gets its ok first, then session_replaced, then the close
                assertOk("s1", alice.next());
                assertEquals("session_replaced", alice.next().path("code").asText());
                assertTrue(alice.closedByServer());
            }
        }
    }

    @Test
    void aSendReadBeforeALineTooLongIsAnsweredBeforeTheClose() throws Exception {
        try (TestServer server = TestServer.start(SLOW_OKS);
             Wire bob = server.userOnline("bob");
             Wire alice = server.userOnline("alice")) {
            sendWithItsOkOwed(alice, bob);

            alice.send("{'type':'ping','id':'" + "x".repeat(2000) + "'}");

            assertOk("s1", alice.next());
            assertEquals("frame_too_large", alice.next().path("code").asText());
            assertTrue(alice.closedByServer());
        }
    }

    @Test
    void aSendReadBeforeTooManyBadFramesIsAnsweredBeforeTheClose() throws Exception {
        try (TestServer server = TestServer.start(SLOW_OKS);
             Wire bob = server.userOnline("bob");
             Wire alice = server.userOnline("alice")) {
            sendWithItsOkOwed(alice, bob);

            alice.send("not json").send("not json either");

            assertEquals("bad_frame", alice.next().path("code").asText());
            assertEquals("bad_frame", alice.next().path("code").asText());
            assertOk("s1", alice.next());
            JsonNode last = alice.next();
            assertEquals("bad_frame", last.path("code").asText());
            assertTrue(last.path("message").asText().contains("too many"), last::toString);
            assertTrue(alice.closedByServer());
        }
    }

    /** Alice's send s1 to bob, pushed to him and not acked: its ok waits for ack_grace (2 s). */
    private static void sendWithItsOkOwed(Wire alice, Wire bob) throws java.io.IOException {
        alice.send("{'type':'send','id':'s1','to':'bob','body':'hi'}");
        bob.next("msg");
    }

    private static void assertOk(String id, JsonNode frame) {
        assertEquals("ok", frame.path("type").asText(), frame::toString);
        assertEquals(id, frame.path("id").asText());
    }
}
