package loomchat.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import loomchat.bench.Workloads;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code loomchat bench <workload>}: drives load at a running server and prints what it measured
 * (a table on stdout, or one JSON line with {@code --json}; progress once a second on stderr).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Load generator: relay, idle, reconnect, group. Needs a running server.",
        subcommands = {BenchCommand.Relay.class, BenchCommand.Idle.class, BenchCommand.Reconnect.class,
                BenchCommand.Group.class})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** Without a workload there is nothing to run: the usage says which there are. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** The options every workload takes. */
    static final class Common {
        @Mixin
        LoadTarget target;

        // Its default does not follow --port: against a server on another port, the /metrics read
        // may be another server's. The report checks them against the generator's own sends and
        // says write_back_unknown, with a warning, when they do not match (ServerMetrics).
        @Option(names = "--http-port", defaultValue = "7071",
                description = "HTTP port, for /metrics (default: ${DEFAULT-VALUE}, whatever --port is; "
                        + "0 = do not read metrics).")
        int httpPort;

        @Option(names = "--json", description = "Print the result as one JSON line instead of a table.")
        boolean json;

        @Option(names = "--tokens", paramLabel = "FILE",
                description = "Where the bench users' login tokens are kept between runs "
                        + "(default: <tmpdir>/loomchat-bench-<host>-<port>.tokens).")
        Path tokens;

        @Option(names = "--source-addresses", defaultValue = "8",
                description = "Spread connections over 127.0.0.1..127.0.0.N when the server is local (default: ${DEFAULT-VALUE}).")
        int sourceAddresses;

        @Option(names = "--concurrency", defaultValue = "512",
                description = "Connects and logins in flight at once (default: ${DEFAULT-VALUE}).")
        int concurrency;

        /** The settings, once every option is in range. */
        Workloads.Settings settings() {
            target.check();
            BadOption.between("--http-port", 0, 65535, httpPort);
            BadOption.between("--source-addresses", 1, 255, sourceAddresses);
            BadOption.atLeast("--concurrency", 1, concurrency);
            Path file = tokens != null ? tokens : Path.of(System.getProperty("java.io.tmpdir"),
                    "loomchat-bench-" + target.host + "-" + target.port + ".tokens");
            return new Workloads.Settings(target.host, target.port, httpPort, target.serverPid, json, file, sourceAddresses, concurrency,
                    Duration.ofSeconds(10));
        }
    }

    @Command(name = "relay", mixinStandardHelpOptions = true, version = Main.VERSION,
            description = "Pairs of users; each sender sends to its receiver. Checks exactly-once, in-order delivery.")
    static final class Relay implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--pairs", defaultValue = "500", description = "Sender/receiver pairs (default: ${DEFAULT-VALUE}).")
        int pairs;

        @Option(names = "--messages", description = "Messages per sender (default: 1000; open loop: rate × duration / pairs).")
        Integer messages;

        @Option(names = "--bytes", defaultValue = "100", description = "Body size (default: ${DEFAULT-VALUE}).")
        int bytes;

        @Option(names = "--window", defaultValue = "16", description = "Unanswered sends per sender, closed loop (default: ${DEFAULT-VALUE}).")
        int window;

        @Option(names = "--rate", description = "Open loop: messages per second in total, sent on a fixed schedule.")
        Double rate;

        @Option(names = "--duration", defaultValue = "10", description = "Open loop: seconds to run (default: ${DEFAULT-VALUE}).")
        double duration;

        @Option(names = "--warmup", defaultValue = "1000", description = "Messages per sender in an unreported first round (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--timeout", defaultValue = "120", description = "Give up on a round after this many seconds (default: ${DEFAULT-VALUE}).")
        int timeout;

        @Option(names = "--client-threads", description = "Open loop: drive each connection with a ChatClient and its "
                + "virtual thread, as the closed loop does, instead of all of them from one selector thread.")
        boolean clientThreads;

        @Override
        public Integer call() throws Exception {
            Workloads.Settings settings = common.settings();
            BadOption.atLeast("--pairs", 1, pairs);
            if (messages != null) BadOption.atLeast("--messages", 1, messages);
            BadOption.atLeast("--bytes", 0, bytes);
            BadOption.atLeast("--window", 1, window);
            if (rate != null) BadOption.positive("--rate", rate);
            BadOption.positive("--duration", duration);
            BadOption.atLeast("--warmup", 0, warmup);
            BadOption.atLeast("--timeout", 1, timeout);
            int m = messages != null ? messages
                    : rate != null ? (int) Math.max(1, Math.round(rate * duration / pairs)) : 1000;
            return Workloads.relay(settings, new loomchat.bench.Workloads.RelayOptions(pairs, m, bytes, window,
                    rate == null ? 0 : rate, warmup, Duration.ofSeconds(timeout), clientThreads));
        }
    }

    @Command(name = "idle", mixinStandardHelpOptions = true, version = Main.VERSION,
            description = "Opens and logs in N connections, holds them, and weighs them in server RSS and live heap (with --server-pid).")
    static final class Idle implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--connections", defaultValue = "10000", description = "Connections (default: ${DEFAULT-VALUE}; at most ~19,000 under a 20,000 open-file limit).")
        int connections;

        @Option(names = "--hold", defaultValue = "3", description = "Seconds to hold them before weighing (default: ${DEFAULT-VALUE}).")
        int hold;

        @Override
        public Integer call() throws Exception {
            Workloads.Settings settings = common.settings();
            BadOption.atLeast("--connections", 1, connections);
            BadOption.atLeast("--hold", 0, hold);
            return Workloads.idle(settings, connections, Duration.ofSeconds(hold));
        }
    }

    @Command(name = "reconnect", mixinStandardHelpOptions = true, version = Main.VERSION,
            description = "N logged-in clients drop at once and log back in by token; time until all are back.")
    static final class Reconnect implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--clients", defaultValue = "10000", description = "Clients (default: ${DEFAULT-VALUE}).")
        int clients;

        @Option(names = "--warmup", defaultValue = "3",
                description = "Unreported drops and logins before the measured one (default: ${DEFAULT-VALUE}).")
        int warmups;

        @Override
        public Integer call() throws Exception {
            Workloads.Settings settings = common.settings();
            BadOption.atLeast("--clients", 1, clients);
            BadOption.atLeast("--warmup", 0, warmups);
            return Workloads.reconnect(settings, clients, warmups);
        }
    }

    @Command(name = "group", mixinStandardHelpOptions = true, version = Main.VERSION,
            description = "One sender to a group with every member online; deliveries per second.")
    static final class Group implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--members", defaultValue = "1024", description = "Group size, sender included (default: ${DEFAULT-VALUE}).")
        int members;

        @Option(names = "--messages", defaultValue = "200", description = "Messages sent to the group (default: ${DEFAULT-VALUE}).")
        int messages;

        @Option(names = "--bytes", defaultValue = "100", description = "Body size (default: ${DEFAULT-VALUE}).")
        int bytes;

        @Option(names = "--window", defaultValue = "16", description = "Unanswered sends in flight (default: ${DEFAULT-VALUE}).")
        int window;

        @Option(names = "--warmup", defaultValue = "200", description = "Messages in an unreported first round (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--timeout", defaultValue = "120", description = "Give up after this many seconds (default: ${DEFAULT-VALUE}).")
        int timeout;

        @Override
        public Integer call() throws Exception {
            Workloads.Settings settings = common.settings();
            BadOption.atLeast("--members", 2, members);
            BadOption.atLeast("--messages", 1, messages);
            BadOption.atLeast("--bytes", 0, bytes);
            BadOption.atLeast("--window", 1, window);
            BadOption.atLeast("--warmup", 0, warmup);
            BadOption.atLeast("--timeout", 1, timeout);
            return Workloads.group(settings, new loomchat.bench.Workloads.GroupOptions(members, messages, bytes,
                    window, warmup, Duration.ofSeconds(timeout)));
        }
    }
}
