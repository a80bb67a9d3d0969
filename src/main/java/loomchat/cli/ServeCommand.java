package loomchat.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import loomchat.config.Config;
import loomchat.config.ConfigException;
import loomchat.config.ConfigLoader;
import loomchat.server.ChatServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code loomchat serve}: loads the settings, starts the server, prints
 * {@code listening chat=<port> http=<port>} once ready, and runs until SIGTERM or SIGINT,
 * on which it shuts down cleanly (every acknowledged message on disk) and exits 0.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, version = Main.VERSION, description = "Run the chat server.")
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--config", description = "YAML settings file (default: ./config.yaml if present; "
            + "with --for-tests only a file named here is read)")
    Path config;

    @Option(names = "--for-tests", description = "settings for a test suite on this machine, beneath --config, "
            + "--set and the other options: 127.0.0.1 only, cheap password hashing, no login or registration "
            + "limits in practice, ack_grace 200ms, no free-disk floor for uploads. Never for production")
    boolean forTests;

    @Option(names = "--print-config", description = "print every setting with the value it would have "
            + "(YAML, keys as in config.yaml) and exit")
    boolean printConfig;

    @Option(names = "--port", description = "chat port; 0 = any free port")
    Integer port;

    @Option(names = "--http-port", description = "HTTP port (media, /health, /metrics); 0 = any free port")
    Integer httpPort;

    @Option(names = "--data-dir", description = "directory for the database files and media")
    Path dataDir;

    @Option(names = "--db-url", description = "JDBC URL of the database (default: H2 files under the data dir). "
            + "On H2 the server sets WRITE_DELAY 0 (needs an admin user), so that an ok survives kill -9")
    String dbUrl;

    @Option(names = "--set", description = "any other setting, as key=value (repeatable)")
    Map<String, String> settings = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        Map<String, Object> beneath = forTests ? ConfigLoader.forTests() : Map.of();
        Config cfg;
        try {
            if (printConfig) {
                System.out.print(ConfigLoader.effectiveYaml(beneath, configFile(), overrides()));
                return 0;
            }
            cfg = ConfigLoader.load(beneath, configFile(), overrides());
        } catch (ConfigException e) {
            System.err.println("loomchat: bad configuration: " + e.getMessage());
            return 2;
        }
        if (forTests) {
            // stderr: stdout carries only the listening line, which test harnesses parse
            StringBuilder line = new StringBuilder("loomchat: test settings on (--for-tests, not for production),");
            ConfigLoader.forTests().forEach((key, value) -> line.append(' ').append(key).append('=').append(value));
            System.err.println(line.append("; --config and --set win over them"));
        }
        ChatServer server;
        try {
            server = ChatServer.start(cfg);
        } catch (Exception e) {
            System.err.println("loomchat: cannot start: " + e.getMessage());
            // The database's reasons come wrapped (a lock timeout over the row it could not find).
            for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
                System.err.println("  caused by: " + cause);
            }
            return 1;
        }
        Signal.handle(new Signal("TERM"), s -> stopAndExit(server));
        Signal.handle(new Signal("INT"), s -> stopAndExit(server));
        System.out.println("listening chat=" + server.port() + " http=" + server.httpPort());
        System.out.flush();
        server.awaitClose();
        return 0;
    }

    /**
     * Runs on a signal's own thread. A second signal finds a close already running, and close()
     * then returns at once: waiting for it to end keeps the exit from cutting the shutdown short.
     */
    private static void stopAndExit(ChatServer server) {
        server.close();
        try {
            server.awaitClose();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(0);
    }

    private Path configFile() {
        if (config != null) return config;
        // A suite run from a project's root must not pick up that project's own settings.
        if (forTests) return null;
        Path local = Path.of("config.yaml");
        return Files.isRegularFile(local) ? local : null;
    }

    private Map<String, Object> overrides() {
        Map<String, Object> o = new LinkedHashMap<>(settings);
        if (port != null) o.put("port", port);
        if (httpPort != null) o.put("http_port", httpPort);
        if (dataDir != null) o.put("data_dir", dataDir.toString());
        if (dbUrl != null) o.put("db_url", dbUrl);
        return o;
    }

    /** Whether these arguments run a server, which must outlive {@code main}. */
    static boolean keepsRunning(String[] args) {
        return args.length > 0 && args[0].equals("serve");
    }
}
