package loomchat.bench;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import loomchat.client.ChatClient;

/**
 * {@code reconnect}: logs many clients in, drops every connection at once, and times how long
 * until all are logged in again by token, as after a network flap or a load balancer restart.
 * The clock runs from the drop until the last client is back; the login rate is over the
 * logins alone, after the drop.
 */
final class Reconnect {
    /** @param warmups unreported flaps before the measured one */
    record Options(int clients, int warmups) {
    }

    private final Bench bench;
    private final Options opt;

    Reconnect(Bench bench, Options opt) {
        this.bench = bench;
        this.opt = opt;
    }

    Report run() throws Exception {
        Report report = new Report("reconnect");
        List<String> names = Fleet.names("bench-i", opt.clients());
        LongAdder opened = new LongAdder();
        LongAdder errors = new LongAdder();
        try (Progress progress = new Progress(bench.progressOut(), "reconnect")) {
            progress.show("accounts", bench.tokens()::registered, "registered", null, () -> 0);
            bench.tokens().ensure(bench.target(), names, bench.concurrency());
            progress.show("connect", opened::sum, "logged in", null, errors::sum);
            ChatClient[] first = Fleet.open(bench, names, 0, i -> c -> { }, null, opened, errors);
            if (errors.sum() > 0) {
                Fleet.closeAll(first);
                return report.put("error", errors.sum() + " clients could not log in before the drop");
            }
            // Warm-up: unreported flaps, so that both JVMs have compiled the paths of a drop and
            // a token login, as relay and group warm up before they measure. Measured: in the first
            // flap a third of the server's CPU went to C2, in the second still a quarter.
            LongAdder warm = new LongAdder();
            progress.show("warm-up", warm::sum, "back", null, errors::sum);
            ChatClient[] clients = first;
            for (int round = 1; round <= opt.warmups(); round++) {
                // The same code as the measured flap, latency recording included: a path first
                // taken in the measured flap was compiled (and deoptimised) during it.
                clients = flap(clients, names, round * opt.clients(), new Latency(), warm, errors).clients();
                if (errors.sum() > 0) {
                    Fleet.closeAll(clients);
                    return report.put("error", errors.sum() + " clients could not log in again in the warm-up");
                }
            }
            // The generator's own collection must not land in the measured flap: its young pauses
            // with 19,000 new clients live took 270-480 ms, stalling every login in flight
            // (the measured p99 was that pause). A full collection now empties its young generation;
            // scripts/bench gives the generator a young generation larger than one flap allocates.
            System.gc();
            CpuSample cpuBefore = CpuSample.startMeasuring(bench.probe());
            long passwordLoginsBefore = bench.tokens().passwordLogins();

            LongAdder back = new LongAdder();
            Latency login = new Latency();
            progress.show("back", back::sum, "back", login, errors::sum);
            Flap flap = flap(clients, names, (opt.warmups() + 1) * opt.clients(), login, back, errors);

            // The rate is over the logins alone: the drop before them is the generator closing its
            // own sockets, and the server has no part in how long that takes.
            double loginSeconds = flap.allBackSeconds() - flap.dropSeconds();
            report.put("clients", opt.clients()).put("concurrency", bench.concurrency())
                    .put("back", back.sum()).put("errors", errors.sum())
                    .put("all_back_s", Report.round(flap.allBackSeconds(), 3))
                    .put("drop_s", Report.round(flap.dropSeconds(), 3))
                    .put("logins_s", Report.round(loginSeconds, 3))
                    .put("logins_per_s", Report.round(back.sum() / loginSeconds, 0))
                    // A refused token falls back to a password login (TokenBook.login), which costs
                    // a slow hash: more than 0 here, and the flap was not all "by token".
                    .put("password_logins", bench.tokens().passwordLogins() - passwordLoginsBefore);
            report.latency("reconnect_login", login.snapshot());
            report.cpu(bench.probe(), cpuBefore, CpuSample.take(bench.probe()));
            Fleet.closeAll(flap.clients());
        }
        return report;
    }

    /** The clients logged in again, how long the drop took, and how long until all were back. */
    private record Flap(ChatClient[] clients, double dropSeconds, double allBackSeconds) {
    }

    /**
     * Drops every client at once (a reset, as when a network fails), then logs all of them in
     * again, with bounded concurrency like any burst of connects (see {@link Fleet}).
     *
     * <p>The drop completes before the logins begin: when each client reconnected as soon as its
     * own socket closed, about 1 % of the new connections hit a source port whose previous
     * connection the server had not finished closing, and the kernel retried their SYN after a
     * second, which measured the kernel's retry timer rather than the server.
     *
     * @param firstIndex the client number of the first new connection (it picks the source address)
     */
    private Flap flap(ChatClient[] clients, List<String> names, int firstIndex, Latency login,
                      LongAdder back, LongAdder errors) throws InterruptedException {
        long start = System.nanoTime();
        Fleet.dropAll(clients);
        long dropped = System.nanoTime();
        ChatClient[] again = Fleet.open(bench, names, firstIndex, i -> c -> { }, login, back, errors);
        return new Flap(again, (dropped - start) / 1e9, (System.nanoTime() - start) / 1e9);
    }
}
