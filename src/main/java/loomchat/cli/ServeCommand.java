package loomchat.cli;

import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import loomchat.config.Config;
import loomchat.config.ConfigException;
import loomchat.config.ConfigLoader;
import loomchat.server.ChatServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code loomchat serve}: loads the settings, starts the server, prints
 * {@code listening chat=<port> http=<port>} once ready, and runs until SIGTERM, SIGINT or
 * SIGHUP, on which it shuts down cleanly (every acknowledged message on disk) and exits 0.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, version = Main.VERSION, description = "Run the chat server.")
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--config", description = "YAML settings file (default: ./config.yaml if present; "
            + "with --for-tests only a file named here is read)")
    Path config;

    @Option(names = "--for-tests", description = "settings for a test suite on this machine, over --config's file "
            + "and beneath --set and the other options: 127.0.0.1 only, cheap password hashing, no login or "
            + "registration limits in practice, ack_grace 200ms, no free-disk floor for uploads. Never for production")
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

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Config cfg;
        try {
            if (printConfig) {
                out.print(ConfigLoader.effectiveYaml(configFile(), overrides()));
                out.flush();
                return 0;
            }
            cfg = ConfigLoader.load(configFile(), overrides());
        } catch (ConfigException e) {
            err.println("loomchat: bad configuration: " + e.getMessage());
            return 2;
        }
        if (forTests) {
            // stderr: stdout carries only the listening line, which test harnesses parse. Each value
            // is the one in force: the overrides, --set's included, win over everything else.
            Map<String, Object> inForce = overrides();
            StringBuilder line = new StringBuilder("loomchat: test settings on (--for-tests, not for production),");
            for (String key : ConfigLoader.forTests().keySet()) {
                line.append(' ').append(key).append('=').append(inForce.get(key));
            }
            err.println(line.append("; they win over --config's file, --set wins over them"));
        }
        ChatServer server;
        try {
            server = ChatServer.start(cfg);
        } catch (BindException e) {
            // The exception does not say which port: the ones asked for are the suspects.
            err.println("loomchat: cannot start: " + fixedPorts(cfg) + " on " + cfg.bind() + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("loomchat: cannot start: " + ExceptionText.of(e));
            // The database's reasons come wrapped (a lock timeout over the row it could not find).
            for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
                err.println("  caused by: " + cause);
            }
            return 1;
        }
        // SIGHUP too (a closed terminal or ssh session): the JVM's own handler would exit 129
        // without closing the server. Under nohup, HUP stays ignored.
        for (String signal : List.of("TERM", "INT", "HUP")) {
            Signal.handle(new Signal(signal), s -> stopAndExit(server));
        }
        out.println("listening chat=" + server.port() + " http=" + server.httpPort());
        out.flush();
        server.awaitClose();
        return 0;
    }

    /** The configured ports a bind failure may be about: a port 0, any free one, cannot be taken. */
    private static String fixedPorts(Config cfg) {
        List<String> fixed = new ArrayList<>();
        if (cfg.port() != 0) fixed.add("chat port " + cfg.port());
        if (cfg.httpPort() != 0) fixed.add("HTTP port " + cfg.httpPort());
        return fixed.isEmpty() ? "any free port" : String.join(" or ", fixed);
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

    /**
     * What wins over the config file: the test settings, and over those the flags and --set.
     * config.yaml sets every key, so that test settings beneath it would never apply.
     */
    private Map<String, Object> overrides() {
        Map<String, Object> o = new LinkedHashMap<>(forTests ? ConfigLoader.forTests() : Map.of());
        o.putAll(settings);
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
