package loomchat.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import loomchat.testing.ServerJar;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shaded jar as an operator runs it: a separate process, killed with SIGKILL or stopped with
 * SIGTERM right after {@code ok}s for an offline recipient, and started again on the same data
 * directory. Every acknowledged message must still be there, in order.
 */
class ServerProcessJarIT {
    private static final int MESSAGES = 50;

    @TempDir
    Path dataDir;
    @TempDir
    Path workDir;
    private ServerJar jar;

    @BeforeEach
    void startNoProcessYet() {
        jar = new ServerJar(workDir);
    }

    @AfterEach
    void killLeftovers() throws InterruptedException {
        jar.close();
    }

    @Test
    void killMinus9AfterOksLosesNothing() throws Exception {
        ServerJar.Server first = jar.serve(dataDir);
        List<String> acknowledged = registerAndSendToOfflineBob(first.port());

        first.process().destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no flush
        assertTrue(first.process().waitFor(10, TimeUnit.SECONDS));

        ServerJar.Server second = jar.serve(dataDir);
        assertEquals(acknowledged, bobReceivesEverything(second.port()));
    }

    @Test
    void sigtermExitsZeroAndLosesNothing() throws Exception {
        ServerJar.Server first = jar.serve(dataDir);
        List<String> acknowledged = registerAndSendToOfflineBob(first.port());

        first.process().destroy(); // SIGTERM
        assertTrue(first.process().waitFor(30, TimeUnit.SECONDS), "stopped within 30 s of SIGTERM");
        assertEquals(0, first.process().exitValue());

        ServerJar.Server second = jar.serve(dataDir);
        assertEquals(acknowledged, bobReceivesEverything(second.port()));
    }

    @Test
    void aSecondSigtermWaitsForTheShutdownTheFirstBegan() throws Exception {
        // given a running server with messages written and clients connected
        ServerJar.Server server = jar.serve(dataDir);
        registerAndSendToOfflineBob(server.port());
        Wire online = Wire.connect(server.port());

        // when it gets SIGTERM twice in a row, as from an impatient Ctrl-C
        server.process().destroy();
        server.process().destroy();

        // then it exits 0 only once the shutdown has finished
        assertTrue(server.process().waitFor(30, TimeUnit.SECONDS), "stopped within 30 s of SIGTERM");
        online.close();
        assertEquals(0, server.process().exitValue());
        List<String> err = jar.stderrLines(server.process());
        assertTrue(err.stream().anyMatch(l -> l.endsWith("stopped")), "stderr: " + err);
    }

    @Test
    void sighupStopsTheServerCleanlyAsSigtermDoes() throws Exception {
        // given a running server
        ServerJar.Server server = jar.serve(dataDir);

        // when the terminal it ran in goes away
        Process hup = new ProcessBuilder("kill", "-HUP", String.valueOf(server.process().pid())).start();
        assertEquals(0, hup.waitFor());

        // then it shuts down cleanly and exits 0
        assertTrue(server.process().waitFor(30, TimeUnit.SECONDS), "stopped within 30 s of SIGHUP");
        assertEquals(0, server.process().exitValue());
        List<String> err = jar.stderrLines(server.process());
        assertTrue(err.stream().anyMatch(l -> l.endsWith("stopped")), "stderr: " + err);
    }

    @Test
    void badConfigurationExitsNonZeroWithOneLineNamingTheKey() throws Exception {
        Path config = workDir.resolve("bad.yaml");
        Files.writeString(config, "port: 0\nmax_frame_byte: 100\n");

        Process p = jar.start(List.of("serve", "--config", config.toString(), "--data-dir", dataDir.toString()));
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));

        assertNotEquals(0, p.exitValue());
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<String> err = jar.stderrLines(p);
        assertEquals(1, err.size(), "one line: " + err);
        assertTrue(err.get(0).contains("max_frame_byte"), err.get(0));
        assertFalse(out.contains("listening"), out);
    }

    @Test
    void badSettingOnTheCommandLineNamesTheKey() throws Exception {
        Process p = jar.start(List.of("serve", "--port", "0", "--http-port", "0", "--data-dir", dataDir.toString(),
                "--set", "idle_timeout=forever"));
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));

        assertNotEquals(0, p.exitValue());
        List<String> err = jar.stderrLines(p);
        assertEquals(1, err.size(), "one line: " + err);
        assertTrue(err.get(0).contains("idle_timeout"), err.get(0));
    }

    @Test
    void forTestsLetsOneAddressFailSixtyLoginsAndStillLogIn() throws Exception {
        // given a server started with --for-tests (the default allows 50 failures per address)
        ServerJar.Server server = jar.serve(dataDir);
        try (Wire w = Wire.connect(server.port())) {
            w.register("alice");

            // when 127.0.0.1 fails 60 logins
            for (int i = 0; i < 60; i++) {
                JsonNode r = w.request("{'type':'login','id':'x','user':'alice','password':'wrong'}", "x");
                assertEquals("bad_credentials", r.path("code").asText(), r::toString);
            }

            // then the right password still logs in
            assertEquals("ok", w.login("alice").path("type").asText());
        }
    }

    @Test
    void forTestsSaysSoOnStderrAndIgnoresTheWorkingDirectorysConfigYaml() throws Exception {
        // given a config.yaml in the working directory that no server could start with
        Files.writeString(workDir.resolve("config.yaml"), "no_such_setting: 1\n");

        // when a server starts there with --for-tests
        ServerJar.Server server = jar.serve(dataDir);

        // then it runs, and its stderr says the test settings are on
        assertTrue(server.process().isAlive());
        List<String> err = jar.stderrLines(server.process());
        assertTrue(err.stream().anyMatch(l -> l.contains("test settings on")), "stderr: " + err);
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
}
