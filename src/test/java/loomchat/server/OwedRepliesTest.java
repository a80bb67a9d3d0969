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
 * later than the send was read (once the message is safe), and neither a logout nor the end of
 * the client's stream may drop it.
 */
class OwedRepliesTest {

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
}
