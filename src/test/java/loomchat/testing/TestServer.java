package loomchat.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import loomchat.config.ConfigLoader;
import loomchat.server.ChatServer;

/**
 * A real loomchat server for a test: port 0, a fresh data directory with real H2 files, and the
 * settings of {@code serve --for-tests} (cheap password hashing, no login limits in practice).
 */
public final class TestServer implements AutoCloseable {
    private final Path dataDir;
    private final Map<String, Object> settings;
    private ChatServer server;

    private TestServer(Path dataDir, Map<String, Object> settings) throws Exception {
        this.dataDir = dataDir;
        this.settings = settings;
        this.server = ChatServer.start(ConfigLoader.of(settings));
    }

    /** Starts a server in a new temporary data directory. */
    public static TestServer start() throws Exception {
        return start(Map.of());
    }

    /** Starts a server with some settings changed (keys as in config.yaml). */
    public static TestServer start(Map<String, ?> overrides) throws Exception {
        return start(Files.createTempDirectory("loomchat-test"), overrides);
    }

    /**
     * Starts a server on {@code dataDir} with {@link ConfigLoader#forTests()}, the settings of
     * {@code serve --for-tests}, under the overrides. Tests of what those settings change set
     * their own values: WriteBackTest (ack_grace), AbuseTest and MediaTokenGuessingTest (login and
     * registration limits), MediaQuotaTest (the free-disk floor).
     */
    public static TestServer start(Path dataDir, Map<String, ?> overrides) throws Exception {
        Map<String, Object> s = new HashMap<>(ConfigLoader.forTests());
        s.put("port", 0);
        s.put("http_port", 0);
        s.put("data_dir", dataDir.toString());
        s.putAll(overrides);
        return new TestServer(dataDir, s);
    }

    /** Stops the server cleanly and starts it again on the same data directory (new ports). */
    public void restart() throws Exception {
        server.close();
        server = ChatServer.start(ConfigLoader.of(settings));
    }

    /** What a test does to the data directory while the server is stopped. */
    @FunctionalInterface
    public interface WhileStopped {
        void apply(Path dataDir) throws Exception;
    }

    /** Stops the server cleanly, changes its data directory as a crash might have left it, and starts it again. */
    public void restart(WhileStopped change) throws Exception {
        server.close();
        change.apply(dataDir);
        server = ChatServer.start(ConfigLoader.of(settings));
    }

    public ChatServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    public int httpPort() {
        return server.httpPort();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** A raw line client connected to this server, welcome already read. */
    public Wire connect() throws IOException {
        return Wire.connect(port());
    }

    /** A raw client logged in as a newly registered user. */
    public Wire userOnline(String name) throws IOException {
        Wire w = connect();
        w.register(name);
        w.login(name);
        return w;
    }

    /** Registers users and leaves them offline. */
    public void register(String... names) throws IOException {
        for (String name : names) {
            try (Wire w = connect()) {
                w.register(name);
            }
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
