package loomchat.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;

/** The entry points of {@code loomchat bench}: each runs one workload, prints its report and returns an exit code. */
public final class Workloads {
    private Workloads() {
    }

    /** Options common to every workload (see {@code loomchat bench --help}). */
    public record Settings(String host, int port, int httpPort, Long serverPid, boolean json, Path tokens,
                           int sourceAddresses, int concurrency, Duration connectTimeout) {
    }

    /**
     * {@code relay}: {@code rate} 0 means closed loop with {@code window} unanswered sends per sender;
     * {@code clientThreads} runs an open loop on a {@code ChatClient} per connection rather than one
     * {@code ClientLoop}.
     */
    public record RelayOptions(int pairs, int messages, int bytes, int window, double rate, int warmup,
                               Duration timeout, boolean clientThreads) {
    }

    /** {@code group}: one sender, {@code members} members including it. */
    public record GroupOptions(int members, int messages, int bytes, int window, int warmup, Duration timeout) {
    }

    public static int relay(Settings s, RelayOptions o) throws Exception {
        Report r = new Relay(bench(s), o).run();
        r.print(System.out, s.json());
        return r.verified() ? 0 : 1;
    }

    public static int idle(Settings s, int connections, Duration hold) throws Exception {
        Report r = new Idle(bench(s), new Idle.Options(connections, hold)).run();
        r.print(System.out, s.json());
        return Long.valueOf(0).equals(r.get("errors")) ? 0 : 1;
    }

    public static int reconnect(Settings s, int clients, int warmups) throws Exception {
        Report r = new Reconnect(bench(s), new Reconnect.Options(clients, warmups)).run();
        r.print(System.out, s.json());
        return r.get("error") == null && Long.valueOf(0).equals(r.get("errors")) ? 0 : 1;
    }

    public static int group(Settings s, GroupOptions o) throws Exception {
        Report r = new GroupFanout(bench(s), o).run();
        r.print(System.out, s.json());
        return r.verified() ? 0 : 1;
    }

    static Bench bench(Settings s) throws IOException {
        Target target = Target.of(s.host(), s.port(), s.httpPort(), s.sourceAddresses(), s.connectTimeout());
        ServerProbe probe = s.serverPid() == null ? null : new ServerProbe(s.serverPid());
        PrintStream err = System.err;
        return new Bench(target, new TokenBook(s.tokens()), probe, err, s.concurrency());
    }
}
