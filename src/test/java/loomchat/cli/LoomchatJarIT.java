package loomchat.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import loomchat.client.ChatClient;
import loomchat.config.ConfigLoader;
import loomchat.protocol.ServerFrame;
import loomchat.server.ChatServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The integration test that README.md's "Use it in your own integration tests" shows, run as it
 * is there: the README's code block is this class from {@code class} to its last brace, which
 * {@link ReadmeRecipeTest} checks, so that what a tester copies compiles and passes.
 */
// README begin
class LoomchatJarIT {
    static Path dataDir;
    static Process server;
    static int chatPort;
    static int httpPort; // media: MediaClient

    @BeforeAll
    static void startServer() throws Exception {
        dataDir = Files.createTempDirectory("loomchat-it");
        Path log = dataDir.resolve("server.log");
        String java = ProcessHandle.current().info().command().orElseThrow(); // this JVM's own (21+)
        String jar = System.getProperty("loomchat.jar", "target/loomchat.jar");
        server = new ProcessBuilder(java, "-jar", jar, "serve", "--for-tests",
                "--port", "0", "--http-port", "0", "--data-dir", dataDir.toString())
                .redirectError(log.toFile()) // its log; stdout has only the listening line
                .start();
        // Ends the server when this JVM exits, even on Ctrl-C (not on kill -9).
        Runtime.getRuntime().addShutdownHook(new Thread(server::destroyForcibly));
        BufferedReader out = server.inputReader();
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine(); // "listening chat=<port> http=<port>"; null: it exited
            } catch (IOException e) {
                return null;
            }
        });
        String line;
        try {
            line = first.get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            line = null;
        }
        if (line == null || !line.startsWith("listening ")) {
            server.destroyForcibly().waitFor();
            throw new IllegalStateException("the server did not start: " + line + "\n" + Files.readString(log));
        }
        chatPort = Integer.parseInt(line.replaceAll(".*chat=(\\d+).*", "$1"));
        httpPort = Integer.parseInt(line.replaceAll(".*http=(\\d+).*", "$1"));
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.destroy(); // SIGTERM: a clean shutdown
        if (!server.waitFor(30, TimeUnit.SECONDS)) server.destroyForcibly().waitFor();
        delete(dataDir);
    }

    static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Test
    void bobGetsAlicesMessage() throws Exception {
        try (ChatClient alice = ChatClient.connect("127.0.0.1", chatPort);
             ChatClient bob = ChatClient.connect("127.0.0.1", chatPort)) {
            alice.register("alice", "correct horse");
            alice.login("alice", "correct horse");
            BlockingQueue<ServerFrame.InboxItem> inbox = new LinkedBlockingQueue<>();
            bob.onItem(inbox::add); // before login: items come at once
            bob.register("bob", "correct horse");
            bob.login("bob", "correct horse");

            ServerFrame.SendOk ok = alice.send("bob", "hi bob").get(5, TimeUnit.SECONDS);
            ServerFrame.Msg msg = (ServerFrame.Msg) inbox.poll(5, TimeUnit.SECONDS);
            assertEquals(ok.msg(), msg.msg());
            bob.abort(); // drop bob as a lost network would
        }
    }

    @Test // the same server in this JVM instead, with loomchat.jar on the test class path
    void inProcess() throws Exception {
        Path dir = Files.createTempDirectory("loomchat-it");
        Map<String, Object> settings = new HashMap<>(ConfigLoader.forTests()); // what --for-tests sets
        settings.putAll(Map.of("port", 0, "http_port", 0, "data_dir", dir.toString()));
        try (ChatServer inside = ChatServer.start(ConfigLoader.of(settings)); // close(): a clean shutdown
             ChatClient carol = ChatClient.connect("127.0.0.1", inside.port())) { // and inside.httpPort()
            carol.register("carol", "correct horse");
        } finally {
            delete(dir);
        }
    }
}
// README end
