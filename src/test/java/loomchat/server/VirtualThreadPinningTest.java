package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingStream;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A virtual thread that blocks while pinned to its carrier takes a carrier from everyone; on
 * JDK 21-23 blocking inside {@code synchronized} does exactly that. Two guards: JFR watching a
 * burst of real traffic for pinned threads in loomchat code, and a scan of the sources for the
 * keyword itself (on JDK 24+ it no longer pins, so the scan is what catches a regression there).
 */
class VirtualThreadPinningTest {
    private static final int USERS = 6;
    private static final int MESSAGES = 20;

    @Test
    void noVirtualThreadIsPinnedInLoomchatCode() throws Exception {
        try (TestServer server = TestServer.start()) {
            burst(server, "warm"); // loads the classes: class loading pins, once, on every JDK

            List<String> pinned = pinnedInLoomchatCodeWhile(() -> burst(server, "user"));

            assertEquals(List.of(), pinned, "virtual threads pinned in loomchat code");
        }
    }

    @Test
    void theWatchSeesAPinWhenThereIsOne() throws Exception {
        // a virtual thread blocking in a class initializer is pinned on every JDK so far
        List<String> pinned = pinnedInLoomchatCodeWhile(() -> Thread.ofVirtual().start(SlowToInitialize::touch).join());

        assertEquals(1, pinned.size(), "the watch must notice a pinned thread: " + pinned);
    }

    /** A class whose initializer blocks. */
    static final class SlowToInitialize {
        static {
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        static void touch() {
        }
    }

    /** Something the pinning watch runs. */
    interface Work {
        void run() throws Exception;
    }

    /** Runs {@code work} under a JFR stream and returns each pinning with loomchat code on the stack. */
    private static List<String> pinnedInLoomchatCodeWhile(Work work) throws Exception {
        List<String> pinned = new CopyOnWriteArrayList<>();
        try (RecordingStream jfr = new RecordingStream()) {
            jfr.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
            jfr.onEvent("jdk.VirtualThreadPinned", e -> {
                if (inLoomchat(e)) pinned.add(describe(e));
            });
            jfr.startAsync();
            work.run();
            jfr.stop(); // delivers every recorded event before it returns
        }
        return pinned;
    }

    @Test
    void mainSourcesDoNotUseSynchronized() throws IOException {
        Pattern keyword = Pattern.compile("\\bsynchronized\\b");
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                if (keyword.matcher(codeOnly(Files.readString(f))).find()) offenders.add(f.toString());
            }
        }
        assertEquals(List.of(), offenders, "use ReentrantLock: synchronized pins virtual threads on JDK 21-23");
    }

    /**
     * Logins by password and token, pipelined sends, pushes, acks and receipts, and an upload and
     * a download on the HTTP port, from several users at once.
     */
    private static void burst(TestServer server, String prefix) throws Exception {
        for (int u = 0; u < USERS; u++) server.register(prefix + u);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int u = 0; u < USERS; u++) {
                int me = u;
                done.add(pool.submit(() -> {
                    String token;
                    try (Wire w = server.connect()) {
                        token = w.login(prefix + me).path("token").asText();
                    }
                    try (Wire w = server.connect()) {
                        w.loginWithToken(prefix + me, token);
                        String to = prefix + ((me + 1) % USERS);
                        for (int i = 0; i < MESSAGES; i++) {
                            w.send("{'type':'send','id':'c" + i + "','to':'" + to + "','body':'hi " + i + "'}");
                        }
                        // receive the neighbour's messages and the receipts for ours, acking as we go
                        int msgs = 0;
                        int receipts = 0;
                        while (msgs < MESSAGES || receipts < MESSAGES) {
                            JsonNode f = w.nextMatching(x -> x.has("seq"), "an inbox item");
                            if (f.path("type").asText().equals("msg")) msgs++;
                            else receipts++;
                            w.ack(f.path("seq").asLong());
                        }
                        uploadAndDownload(server, token); // before the logout, which revokes the token
                        w.request("{'type':'logout','id':'bye'}", "bye");
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
        }
    }

    private static void uploadAndDownload(TestServer server, String token) throws Exception {
        java.net.URI media = java.net.URI.create("http://127.0.0.1:" + server.httpPort() + "/media");
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            java.net.http.HttpResponse<String> up = http.send(java.net.http.HttpRequest.newBuilder(media)
                    .header("Authorization", "Bearer " + token)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(new byte[10_000])).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(201, up.statusCode(), up.body());
            String id = new com.fasterxml.jackson.databind.ObjectMapper().readTree(up.body()).path("media").asText();
            java.net.http.HttpResponse<byte[]> down = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(media + "/" + id)).header("Authorization", "Bearer " + token).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(10_000, down.body().length);
        }
    }

    /** Pinned with loomchat code on the stack, for a reason other than loading a class (a one-off, on any JDK). */
    private static boolean inLoomchat(RecordedEvent e) {
        if (e.getStackTrace() == null) return false;
        boolean loomchat = false;
        for (RecordedFrame f : e.getStackTrace().getFrames()) {
            if (f.getMethod() == null) continue;
            String type = f.getMethod().getType().getName();
            if (type.equals("java.lang.ClassLoader") && f.getMethod().getName().equals("loadClass")) return false;
            loomchat |= type.startsWith("loomchat.");
        }
        return loomchat;
    }

    private static String describe(RecordedEvent e) {
        StringBuilder b = new StringBuilder("pinned for " + e.getDuration().toNanos() / 1000 + " µs at");
        for (RecordedFrame f : e.getStackTrace().getFrames()) {
            b.append("\n    ").append(f.getMethod().getType().getName()).append('.').append(f.getMethod().getName())
                    .append(':').append(f.getLineNumber());
        }
        return b.toString();
    }

    /** The source without comments and string literals, where the word may be mentioned harmlessly. */
    private static String codeOnly(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", " ")
                .replaceAll("//[^\\n]*", " ")
                .replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
    }
}
