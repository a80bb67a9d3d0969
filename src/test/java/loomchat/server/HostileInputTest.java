package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile bytes over real sockets: the server answers each line with an error frame or closes
 * the connection, never dies, and gives back every connection slot and thread.
 */
class HostileInputTest extends ServerTest {
    @Override
    protected Map<String, ?> settings() {
        return Map.of("max_frame_bytes", 4096, "max_bad_frames", 1000);
    }
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void randomGarbageGetsErrorFramesOrACloseAndTheServerKeepsServing() throws Exception {
        long heapBefore = usedHeapAfterGc();
        Random random = new Random(7);
        for (int conn = 0; conn < 40; conn++) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(5000);
                OutputStream out = s.getOutputStream();
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("welcome", JSON.readTree(in.readLine()).path("type").asText());
                for (int i = 0; i < 20; i++) {
                    byte[] junk = new byte[1 + random.nextInt(200)];
                    random.nextBytes(junk);
                    for (int j = 0; j < junk.length; j++) if (junk[j] == '\n') junk[j] = 'x';
                    byte[] line = java.util.Arrays.copyOf(junk, junk.length + 1);
                    line[junk.length] = '\n'; // one write: two small ones would wait on Nagle and delayed ACKs
                    out.write(line);
                    out.flush();
                    if (isBlankLine(junk)) continue; // a keep-alive: no answer
                    String reply = readFrameLine(in);
                    if (reply == null) break; // closed: allowed
                    JsonNode frame = JSON.readTree(reply);
                    assertEquals("error", frame.path("type").asText(), reply);
                }
            } catch (java.net.SocketException closedByServer) {
                // a reset is an allowed answer to garbage
            }
        }
        assertServerHealthy();
        long grown = usedHeapAfterGc() - heapBefore;
        assertTrue(grown < 32L << 20, "heap grew by " + (grown >> 20) + " MiB over 800 garbage lines");
    }

    @Test
    void crOnlyLinesNeverEndAFrameAndHitTheFrameLimit() throws Exception {
        try (Wire w = server.connect()) {
            // 400 frames ended by CR alone are one 11 KB line to the server, over its 4 KB limit
            w.sendRaw("{\"type\":\"ping\",\"id\":\"1\"}\r".repeat(400).getBytes(StandardCharsets.UTF_8));
            assertEquals("frame_too_large", w.next().path("code").asText());
            assertTrue(w.closedByServer());
        }
        assertServerHealthy();
    }

    @Test
    void anEndlessLineIsCutAtTheFrameLimitWithoutBeingBuffered() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            in.readLine(); // welcome
            OutputStream out = s.getOutputStream();
            byte[] chunk = "a".repeat(1024).getBytes(StandardCharsets.UTF_8);
            try {
                for (int i = 0; i < 10_000; i++) out.write(chunk); // 10 MB, never a newline
            } catch (IOException closedByServer) {
                // expected once the server has cut us off
            }
            assertEquals("frame_too_large", JSON.readTree(in.readLine()).path("code").asText());
        }
        assertServerHealthy();
    }

    @Test
    void deeplyNestedAndHugeValuesAreRefusedPolitely() throws Exception {
        try (Wire w = server.connect()) {
            w.send("[".repeat(2000));
            assertEquals("bad_frame", w.next().path("code").asText());
            w.send("{'type':'ack','seq':" + "9".repeat(3000) + "}");
            assertEquals("error", w.next().path("type").asText());
            w.sendRaw(new byte[] {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
            assertEquals("error", w.next().path("type").asText());
            w.sendRaw(new byte[] {0, 0, 0, '\n'});
            assertEquals("bad_frame", w.next().path("code").asText());
            assertEquals("pong", w.request("{'type':'ping','id':'still-here'}", "still-here").path("type").asText());
        }
    }

    /** A fresh client can still do everything, and no connection slot leaked. */
    private void assertServerHealthy() throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (server.server().connectionCount() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(0, server.server().connectionCount(), "every connection slot was given back");
        try (Wire bob = server.userOnline("bob" + System.nanoTime() % 100000); Wire alice = server.connect()) {
            assertEquals("pong", alice.request("{'type':'ping','id':'p'}", "p").path("type").asText());
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    /** What the server treats as blank: spaces and tabs, and one trailing carriage return. */
    private static boolean isBlankLine(byte[] b) {
        int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
        for (int i = 0; i < len; i++) if (b[i] != ' ' && b[i] != '\t') return false;
        return true;
    }

    /** One server line; BufferedReader would also split at a bare CR, which JSON output never contains. */
    private static String readFrameLine(BufferedReader in) throws IOException {
        return in.readLine();
    }
}
