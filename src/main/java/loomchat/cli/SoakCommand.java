package loomchat.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import loomchat.bench.Soak;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code loomchat soak}: mixed load with connection churn against a running server for a bounded
 * time, then a drain and an audit; exits 1 unless every acknowledged message was delivered.
 * {@code scripts/soak} starts a fresh server and runs this against it.
 */
@Command(name = "soak", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Bounded soak: 1:1 and group messages, read receipts, drops, logouts and reconnects; "
                + "checks sent = delivered and prints server RSS over time. Needs a running server.")
public final class SoakCommand implements Callable<Integer> {
    @Mixin
    LoadTarget target;

    @Option(names = "--users", defaultValue = "200", description = "Users (default: ${DEFAULT-VALUE}).")
    int users;

    @ArgGroup(exclusive = true)
    Length length = new Length();

    static final class Length {
        @Option(names = "--minutes", description = "Minutes of load (default: 5).")
        Double minutes;

        @Option(names = "--seconds", description = "Seconds of load, instead of --minutes.")
        Double seconds;

        Duration duration() {
            double s = seconds != null ? seconds : (minutes != null ? minutes : 5) * 60;
            return Duration.ofMillis(Math.round(s * 1000));
        }
    }

    @Option(names = "--rate", defaultValue = "500",
            description = "New messages per second, all users together (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--group-share", defaultValue = "0.2",
            description = "Share of messages sent to a group (default: ${DEFAULT-VALUE}).")
    double groupShare;

    @Option(names = "--churn", defaultValue = "1",
            description = "Drops or logouts per user per minute (default: ${DEFAULT-VALUE}).")
    double churn;

    @Option(names = "--read-share", defaultValue = "0.3",
            description = "Share of received messages marked read (default: ${DEFAULT-VALUE}).")
    double readShare;

    @Option(names = "--report-every", defaultValue = "10",
            description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    int reportEvery;

    @Option(names = "--drain-timeout", defaultValue = "120",
            description = "Most seconds the final drain may take (default: ${DEFAULT-VALUE}).")
    int drainTimeout;

    @Option(names = "--live-heap", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --server-pid, weigh the server's live heap before and after (jcmd; a full GC each).")
    boolean liveHeap;

    @Option(names = "--seed", description = "Random seed, to repeat a run's choices (default: random).")
    Long seed;

    @Override
    public Integer call() throws Exception {
        target.check();
        BadOption.atLeast("--users", 2, users);
        if (length.minutes != null) BadOption.positive("--minutes", length.minutes);
        if (length.seconds != null) BadOption.positive("--seconds", length.seconds);
        BadOption.positive("--rate", rate);
        BadOption.between("--group-share", 0.0, 1.0, groupShare);
        BadOption.atLeast("--churn", 0.0, churn);
        BadOption.between("--read-share", 0.0, 1.0, readShare);
        BadOption.atLeast("--report-every", 1, reportEvery);
        BadOption.atLeast("--drain-timeout", 1, drainTimeout);
        Soak.Options options = new Soak.Options(target.host, target.port, target.serverPid, users, length.duration(), rate, groupShare,
                churn, readShare, Duration.ofSeconds(reportEvery), Duration.ofSeconds(drainTimeout),
                seed != null ? seed : System.nanoTime(), liveHeap);
        return new Soak(options, System.out).run().passed() ? 0 : 1;
    }
}
