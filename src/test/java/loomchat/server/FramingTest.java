package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Framing as the wire contract states it: one JSON object per line, errors for what is not, and
 * a connection that survives malformed frames up to a limit. No test here logs in, so one server
 * (with a small frame limit, to show the server does not buffer past it) serves the whole class.
 */
class FramingTest {
    static final int MAX_FRAME = 1024;
    static final int MAX_BAD = 3;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(Map.of("max_frame_bytes", MAX_FRAME, "max_bad_frames", MAX_BAD, "server_name", "test-chat"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A ping whose line (without the newline) is exactly {@code length} bytes long. */
    static String pingOfLength(int length) {
        String head = "{\"type\":\"ping\",\"id\":\"p\",\"pad\":\"";
        String tail = "\"}";
        return head + "x".repeat(length - head.length() - tail.length()) + tail;
    }

    @Test
    void welcomeComesFirstWithServerVersionAndFrameLimit() throws Exception {
        try (Wire w = server.connect()) {
            JsonNode welcome = w.welcome();
            assertEquals("welcome", welcome.path("type").asText());
            assertEquals("test-chat", welcome.path("server").asText());
            assertEquals(1, welcome.path("version").asInt());
            assertEquals(MAX_FRAME, welcome.path("max_frame_bytes").asInt());
        }
    }

    @Test
    void blankLinesAreIgnored() throws Exception {
        try (Wire w = server.connect()) {
            w.sendRaw("\n\r\n   \n\t\n".getBytes(StandardCharsets.UTF_8));
            w.send("{'type':'ping','id':'p1'}");

            JsonNode pong = w.next(); // nothing was answered to the blank lines
            assertEquals("pong", pong.path("type").asText());
            assertEquals("p1", pong.path("id").asText());
        }
    }

    @Test
    void carriageReturnBeforeNewlineIsTolerated() throws Exception {
        try (Wire w = server.connect()) {
            w.sendRaw("{\"type\":\"ping\",\"id\":\"p1\"}\r\n".getBytes(StandardCharsets.UTF_8));

            JsonNode pong = w.next();
            assertEquals("pong", pong.path("type").asText());
            assertEquals("p1", pong.path("id").asText());
        }
    }

    @Test
    void frameOfExactlyTheLimitIsAccepted() throws Exception {
        try (Wire w = server.connect()) {
            w.sendRaw((pingOfLength(MAX_FRAME) + "\r\n").getBytes(StandardCharsets.UTF_8));

            assertEquals("pong", w.next().path("type").asText());
        }
    }

    @Test
    void frameOverTheLimitGetsFrameTooLargeAndIsClosed() throws Exception {
        try (Wire w = server.connect()) {
            w.sendRaw((pingOfLength(MAX_FRAME + 1) + "\n").getBytes(StandardCharsets.UTF_8));

            JsonNode error = w.next();
            assertEquals("error", error.path("type").asText());
            assertEquals("frame_too_large", error.path("code").asText());
            assertTrue(w.closedByServer());
        }
    }

    @Test
    void overLongLineIsRefusedBeforeItEnds() throws Exception {
        try (Wire w = server.connect()) {
            // given a line past the limit with no newline yet: a server that buffers would wait for the rest
            // (exactly limit + 2 bytes: what the server must read to know, so none is left unread to reset the socket)
            w.sendRaw(pingOfLength(MAX_FRAME + 2).getBytes(StandardCharsets.UTF_8));

            // then the refusal comes without the line ever ending
            JsonNode error = w.next();
            assertEquals("frame_too_large", error.path("code").asText());
            assertFalse(error.has("id"));
            assertTrue(w.closedByServer());
        }
    }

    @Test
    void invalidJsonGetsBadFrameAndTheConnectionStaysOpen() throws Exception {
        try (Wire w = server.connect()) {
            w.send("{'type':'ping','id':");

            JsonNode error = w.next();
            assertEquals("error", error.path("type").asText());
            assertEquals("bad_frame", error.path("code").asText());
            assertTrue(error.path("message").asText().length() > 0);

            w.send("{'type':'ping','id':'still-here'}");
            assertEquals("still-here", w.next("pong").path("id").asText());
        }
    }

    @Test
    void nonObjectGetsBadFrame() throws Exception {
        try (Wire w = server.connect()) {
            w.send("['type','ping']");
            assertEquals("bad_frame", w.next().path("code").asText());
            w.send("42");
            assertEquals("bad_frame", w.next().path("code").asText());

            w.send("{'type':'ping','id':'p'}");
            assertEquals("pong", w.next().path("type").asText());
        }
    }

    @Test
    void missingTypeGetsUnknownTypeWithTheIdEchoed() throws Exception {
        try (Wire w = server.connect()) {
            w.send("{'id':'x1','user':'alice'}");

            JsonNode error = w.next();
            assertEquals("error", error.path("type").asText());
            assertEquals("unknown_type", error.path("code").asText());
            assertEquals("x1", error.path("id").asText());
        }
    }

    @Test
    void unknownTypeGetsUnknownTypeWithTheIdEchoed() throws Exception {
        try (Wire w = server.connect()) {
            w.send("{'type':'teleport','id':'x2'}");

            JsonNode error = w.next();
            assertEquals("unknown_type", error.path("code").asText());
            assertEquals("x2", error.path("id").asText());

            w.send("{'type':'ping','id':'p'}");
            assertEquals("pong", w.next().path("type").asText());
        }
    }

    @Test
    void tooManyBadFramesCloseTheConnection() throws Exception {
        try (Wire w = server.connect()) {
            for (int i = 1; i < MAX_BAD; i++) {
                w.send("not json " + i);
                assertEquals("bad_frame", w.next().path("code").asText());
            }
            w.send("{'type':'ping','id':'p'}");
            assertEquals("pong", w.next().path("type").asText(), "still open below the limit");

            w.send("not json, the last straw");

            assertEquals("bad_frame", w.next().path("code").asText());
            assertTrue(w.closedByServer());
        }
    }

    @Test
    void unknownFieldsAreIgnored() throws Exception {
        try (Wire w = server.connect()) {
            w.send("{'type':'ping','id':'p','client':'future/9','extra':{'nested':[1,2,3]}}");

            JsonNode pong = w.next();
            assertEquals("pong", pong.path("type").asText());
            assertEquals("p", pong.path("id").asText());
        }
    }
}
