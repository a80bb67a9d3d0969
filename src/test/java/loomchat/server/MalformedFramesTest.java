package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which lines are malformed frames, and what they cost a connection under the default
 * {@code max_bad_frames} (10): only {@code bad_frame} and {@code unknown_type} count towards it.
 */
class MalformedFramesTest extends ServerTest {

    @Test
    void aLineWithTwoSendsGetsOneBadFrameAndNeitherIsSent() throws Exception {
        try (Wire alice = server.userOnline("alice"); Wire bob = server.userOnline("bob")) {
            // when alice puts two sends on one line
            alice.send("{'type':'send','id':'s1','to':'bob','body':'one'}"
                    + "{'type':'send','id':'s2','to':'bob','body':'two'}");

            // then the line gets one bad_frame, echoing neither id, and nothing else before the pong
            JsonNode error = alice.next();
            assertEquals("error", error.path("type").asText());
            assertEquals("bad_frame", error.path("code").asText());
            assertFalse(error.has("id"));
            assertEquals("pong", alice.request("{'type':'ping','id':'p'}", "p").path("type").asText());

            // and bob's first message is the one sent after it
            alice.sendMessage("s3", "bob", "three");
            assertEquals("three", bob.next("msg").path("body").asText());
        }
    }

    @Test
    void anObjectFollowedByGarbageGetsBadFrameNotAnAnswer() throws Exception {
        try (Wire w = server.connect()) {
            w.send("{'type':'ping','id':'1'} garbage");

            JsonNode error = w.next();
            assertEquals("bad_frame", error.path("code").asText());
            assertFalse(error.has("id"));
            w.send("{'type':'ping','id':'2'}");
            JsonNode next = w.next();
            assertEquals("pong", next.path("type").asText());
            assertEquals("2", next.path("id").asText(), "no pong for '1' came first");
        }
    }

    @Test
    void invalidRequestsDoNotCountTowardsMaxBadFrames() throws Exception {
        try (Wire w = server.connect()) {
            // given eleven registrations with a password too short, one more than max_bad_frames
            for (int i = 1; i <= 11; i++) {
                String id = "r" + i;
                JsonNode r = w.request("{'type':'register','id':'" + id + "','user':'alice','password':'short'}", id);
                assertEquals("invalid", r.path("code").asText());
            }

            // then the connection is still served
            assertEquals("pong", w.request("{'type':'ping','id':'p'}", "p").path("type").asText());
        }
    }

    @Test
    void tenBadFramesOrUnknownTypesCloseTheConnection() throws Exception {
        try (Wire w = server.connect()) {
            // given nine malformed frames of both kinds
            for (int i = 1; i <= 9; i++) {
                w.send(i % 2 == 0 ? "not json " + i : "{'type':'teleport','id':'t" + i + "'}");
                assertEquals(i % 2 == 0 ? "bad_frame" : "unknown_type", w.next().path("code").asText());
            }
            assertEquals("pong", w.request("{'type':'ping','id':'p'}", "p").path("type").asText(), "open below limit");

            // when the tenth comes
            w.send("{'type':'ping','id':'x'} {}");

            // then it is answered, and the connection is closed after "too many bad frames"
            assertEquals("bad_frame", w.next().path("code").asText());
            JsonNode last = w.next();
            assertEquals("bad_frame", last.path("code").asText());
            assertTrue(last.path("message").asText().contains("too many"), last.toString());
            assertTrue(w.closedByServer());
        }
    }
}
