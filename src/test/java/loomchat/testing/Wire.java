package loomchat.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A test's raw view of one connection: it writes JSON lines exactly as given and reads frames
 * one by one, so that a test shows the frames on the wire, as a client author would see them.
 * Reads wait with a timeout instead of sleeping.
 */
public final class Wire implements AutoCloseable {
    public static final String PASSWORD = "correct horse";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;
    private JsonNode welcome;

    private Wire(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        this.out = socket.getOutputStream();
    }

    public static Wire connect(int port) throws IOException {
        Wire w = new Wire(new Socket("127.0.0.1", port));
        w.welcome = w.next();
        assertEquals("welcome", w.welcome.path("type").asText(), "first frame is the welcome");
        return w;
    }

    /**
     * A connection with a small receive buffer, for a test in which the client stops reading for
     * a while: what the kernel holds for it is then a few kilobytes, not megabytes.
     */
    public static Wire connectSlowReader(int port) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096); // before connecting: it sets the window offered
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
        Wire w = new Wire(socket);
        w.welcome = w.next();
        return w;
    }

    public JsonNode welcome() {
        return welcome;
    }

    /** Sends one line; single quotes stand for double quotes, to keep frames readable in tests. */
    public Wire send(String frame) throws IOException {
        return sendRaw((frame.replace('\'', '"') + "\n").getBytes(StandardCharsets.UTF_8));
    }

    public Wire sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** The next frame, failing the test if none comes in time. */
    public JsonNode next() throws IOException {
        return next(TIMEOUT);
    }

    public JsonNode next(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        String line;
        try {
            line = in.readLine();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no frame within " + timeout);
        }
        assertNotNull(line, "connection closed while a frame was expected");
        return JSON.readTree(line);
    }

    /** The next frame of the given type, skipping others (such as pushed items) on the way. */
    public JsonNode next(String type) throws IOException {
        return nextMatching(f -> type.equals(f.path("type").asText()), "a '" + type + "' frame");
    }

    /** The reply to request {@code id}, skipping pushed frames on the way. */
    public JsonNode reply(String id) throws IOException {
        return nextMatching(f -> id.equals(f.path("id").asText(null)), "a reply to id " + id);
    }

    /** The replies to requests {@code ids}, in whatever order they come, skipping pushed frames on the way. */
    public java.util.Map<String, JsonNode> replies(String... ids) throws IOException {
        java.util.Map<String, JsonNode> got = new java.util.HashMap<>();
        java.util.Set<String> wanted = java.util.Set.of(ids);
        while (got.size() < wanted.size()) {
            JsonNode f = nextMatching(r -> r.path("id").isTextual() && wanted.contains(r.path("id").asText()),
                    "a reply to one of " + wanted);
            got.put(f.path("id").asText(), f);
        }
        return got;
    }

    public JsonNode nextMatching(Predicate<JsonNode> wanted, String what) throws IOException {
        List<JsonNode> skipped = new ArrayList<>();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode f = next();
            if (wanted.test(f)) return f;
            skipped.add(f);
        }
        return fail("expected " + what + "; got " + skipped);
    }

    /** Asserts nothing arrives for a while (used sparingly: it costs its whole duration). */
    public void expectSilence(Duration d) throws IOException {
        socket.setSoTimeout((int) d.toMillis());
        try {
            String line = in.readLine();
            if (line != null) fail("expected no frame, got " + line);
        } catch (SocketTimeoutException expected) {
            // silence, as wanted
        }
    }

    /** True if the server closes the connection within the timeout (frames before the close are skipped). */
    public boolean closedByServer() throws IOException {
        socket.setSoTimeout((int) TIMEOUT.toMillis());
        try {
            while (in.readLine() != null) {
                // skip whatever came before the close
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    public JsonNode request(String frame, String id) throws IOException {
        send(frame);
        return reply(id);
    }

    public void register(String user) throws IOException {
        JsonNode r = request("{'type':'register','id':'r','user':'" + user + "','password':'" + PASSWORD + "'}", "r");
        assertEquals("ok", r.path("type").asText(), () -> "register " + user + ": " + r);
    }

    /** Logs in by password; returns the login reply (with token and pending). */
    public JsonNode login(String user) throws IOException {
        JsonNode r = request("{'type':'login','id':'l','user':'" + user + "','password':'" + PASSWORD + "'}", "l");
        assertEquals("ok", r.path("type").asText(), () -> "login " + user + ": " + r);
        return r;
    }

    /** Logs in by token; returns the reply, whatever it is. */
    public JsonNode loginWithToken(String user, String token) throws IOException {
        return request("{'type':'login','id':'t','user':'" + user + "','token':'" + token + "'}", "t");
    }

    /** Acknowledges every item up to {@code seq}. */
    public Wire ack(long seq) throws IOException {
        return send("{'type':'ack','seq':" + seq + "}");
    }

    /** The next {@code n} frames of the given type, skipping others. */
    public List<JsonNode> next(String type, int n) throws IOException {
        List<JsonNode> frames = new ArrayList<>(n);
        for (int i = 0; i < n; i++) frames.add(next(type));
        return frames;
    }

    /** Sends one message and returns its {@code ok} (failing the test on an error). */
    public JsonNode sendMessage(String id, String to, String body) throws IOException {
        JsonNode r = request("{'type':'send','id':'" + id + "','to':'" + to + "','body':'" + body + "'}", id);
        assertEquals("ok", r.path("type").asText(), () -> "send " + id + ": " + r);
        return r;
    }

    /** Closes the sending side only, as a client does that has said all it will say and waits for the answers. */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    public void close() throws IOException {
        socket.close();
    }
}
