package loomchat.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import loomchat.client.ChatClient;

/**
 * {@code reconnect}: logs many clients in, drops every connection at once, and times how long
 * until all are logged in again by token, as after a network flap or a load balancer restart.
 * The clock runs from the drop until the last client is back.
 */
final class Reconnect {
    record Options(int clients) {
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
            double cpuBefore = bench.probe() == null ? 0 : bench.probe().cpuSeconds();

            LongAdder back = new LongAdder();
            Latency login = new Latency();
            progress.show("back", back::sum, "back", login, errors::sum);
            // Every client drops at once, and each logs in again as soon as its own connection is
            // gone, as phones do after a flap: closing is not a phase of its own. The logins are
            // bounded like any burst of connects (see Fleet).
            long start = System.nanoTime();
            ChatClient[] again = new ChatClient[first.length];
            Semaphore slots = new Semaphore(bench.concurrency());
            List<Thread> threads = new ArrayList<>(first.length);
            for (int i = 0; i < first.length; i++) {
                int k = i;
                threads.add(Thread.ofVirtual().name("bench-flap").start(() -> {
                    first[k].close();
                    // Other source ports than the first time: the dropped ones are in TIME_WAIT.
                    again[k] = Fleet.openOne(bench, names.get(k), opt.clients() + k, c -> { }, slots, login, back, errors);
                }));
            }
            for (Thread t : threads) t.join();
            double seconds = (System.nanoTime() - start) / 1e9;

            report.put("clients", opt.clients()).put("back", back.sum()).put("errors", errors.sum())
                    .put("all_back_s", Report.round(seconds, 3))
                    .put("logins_per_s", Report.round(back.sum() / seconds, 0));
            report.latency("reconnect_login", login.snapshot());
            report.server(bench.probe(), cpuBefore);
            Fleet.closeAll(again);
        }
        return report;
    }
}
