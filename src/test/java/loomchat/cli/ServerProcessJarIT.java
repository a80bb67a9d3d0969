package loomchat.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The shaded jar as an operator runs it: a separate process, killed with SIGKILL or stopped with
 * SIGTERM right after {@code ok}s for an offline recipient, and started again on the same data
 * directory. Every acknowledged message must still be there, in order.
 */
class ServerProcessJarIT {
    private static final Pattern LISTENING = Pattern.compile("^listening chat=(\\d+) http=(\\d+)$");
    private static final int MESSAGES = 50;

    @TempDir
    Path dataDir;
    @TempDir
    Path workDir;
    private final List<Process> started = new ArrayList<>();
    private final java.util.Map<Process, Path> stderr = new java.util.HashMap<>();

    /** One running server process and the chat port it printed. */
    record Server(Process process, int port) {
    }

    @AfterEach
    void killLeftovers() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void killMinus9AfterOksLosesNothing() throws Exception {
        Server first = serve();
        List<String> acknowledged = registerAndSendToOfflineBob(first.port());

        first.process().destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no flush
        assertTrue(first.process().waitFor(10, TimeUnit.SECONDS));

        Server second = serve();
        assertEquals(acknowledged, bobReceivesEverything(second.port()));
    }

    @Test
    void sigtermExitsZeroAndLosesNothing() throws Exception {
        Server first = serve();
        List<String> acknowledged = registerAndSendToOfflineBob(first.port());

        first.process().destroy(); // SIGTERM
        assertTrue(first.process().waitFor(30, TimeUnit.SECONDS), "stopped within 30 s of SIGTERM");
        assertEquals(0, first.process().exitValue());

        Server second = serve();
        assertEquals(acknowledged, bobReceivesEverything(second.port()));
    }

    @Test
    void badConfigurationExitsNonZeroWithOneLineNamingTheKey() throws Exception {
        Path config = workDir.resolve("bad.yaml");
        Files.writeString(config, "port: 0\nmax_frame_byte: 100\n");

        Process p = start(List.of("serve", "--config", config.toString(), "--data-dir", dataDir.toString()));
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));

        assertNotEquals(0, p.exitValue());
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<String> err = Files.readAllLines(stderr.get(p))
                .stream().filter(l -> !l.isBlank()).toList();
        assertEquals(1, err.size(), "one line: " + err);
        assertTrue(err.get(0).contains("max_frame_byte"), err.get(0));
        assertFalse(out.contains("listening"), out);
    }

    @Test
    void badSettingOnTheCommandLineNamesTheKey() throws Exception {
        Process p = start(List.of("serve", "--port", "0", "--http-port", "0", "--data-dir", dataDir.toString(),
                "--set", "idle_timeout=forever"));
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));

        assertNotEquals(0, p.exitValue());
        List<String> err = Files.readAllLines(stderr.get(p))
                .stream().filter(l -> !l.isBlank()).toList();
        assertEquals(1, err.size(), "one line: " + err);
        assertTrue(err.get(0).contains("idle_timeout"), err.get(0));
    }

    // ------------------------------------------------------------------ steps

    /** Registers alice and bob, and has alice send to offline bob; returns the msg ids in the order of their oks. */
    private static List<String> registerAndSendToOfflineBob(int port) throws IOException {
        try (Wire bob = Wire.connect(port)) {
            bob.register("bob");
        }
        List<String> acknowledged = new ArrayList<>();
        try (Wire alice = Wire.connect(port)) {
            alice.register("alice");
            alice.login("alice");
            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < MESSAGES; i++) {
                burst.append("{\"type\":\"send\",\"id\":\"c").append(i).append("\",\"to\":\"bob\",\"body\":\"message ")
                        .append(i).append("\"}\n");
            }
            alice.sendRaw(burst.toString().getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < MESSAGES; i++) {
                JsonNode ok = alice.next("ok");
                assertEquals("c" + i, ok.path("id").asText(), "oks in order");
                acknowledged.add(ok.path("msg").asText());
            }
        }
        return acknowledged;
    }

    /** Logs bob in and returns the msg ids he is pushed, in order. */
    private static List<String> bobReceivesEverything(int port) throws IOException {
        try (Wire bob = Wire.connect(port)) {
            assertEquals(MESSAGES, bob.login("bob").path("pending").asInt());
            List<String> received = new ArrayList<>();
            for (JsonNode item : bob.next("msg", MESSAGES)) received.add(item.path("msg").asText());
            return received;
        }
    }

    // ---------------------------------------------------------------- process

    private Server serve() throws Exception {
        Process p = start(List.of("serve", "--port", "0", "--http-port", "0", "--data-dir", dataDir.toString(),
                "--set", "password_iterations=1000"));
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) lines.add(line);
            } catch (IOException ignored) {
                // the process is gone
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line != null) {
                Matcher m = LISTENING.matcher(line.strip());
                if (m.matches()) return new Server(p, Integer.parseInt(m.group(1)));
            } else if (!p.isAlive()) {
                fail("the server exited with " + p.exitValue() + ": "
                        + Files.readString(stderr.get(p)));
            }
        }
        return fail("no 'listening chat=<port> http=<port>' line within 60 s");
    }

    private Process start(List<String> args) throws IOException {
        String jar = System.getProperty("loomchat.jar", "target/loomchat.jar");
        assertTrue(Files.isRegularFile(Path.of(jar)), "the shaded jar at " + jar + " (run mvn package first)");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-jar", Path.of(jar).toAbsolutePath().toString()));
        command.addAll(args);
        // in a directory of its own, so that no config.yaml is picked up by accident
        Path errors = workDir.resolve("stderr-" + started.size() + ".log");
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectError(errors.toFile()).start();
        started.add(p);
        stderr.put(p, errors);
        return p;
    }
}
