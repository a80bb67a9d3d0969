package loomchat.bench;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import loomchat.client.ChatClient;

/**
 * {@code reconnect}: logs many clients in, drops every connection at once, and times how long
 * until all are logged in again by token, as after a network flap or a load balancer restart.
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
            progress.show("drop", back::sum, "back", login, errors::sum);
            long start = System.nanoTime();
            Fleet.closeAll(first);
            double dropped = (System.nanoTime() - start) / 1e9;
            progress.show("back", back::sum, "back", login, errors::sum);
            // Other source ports than the first time: the dropped ones are in TIME_WAIT.
            ChatClient[] again = Fleet.open(bench, names, opt.clients(), i -> c -> { }, login, back, errors);
            double seconds = (System.nanoTime() - start) / 1e9;

            report.put("clients", opt.clients()).put("back", back.sum()).put("errors", errors.sum())
                    .put("drop_s", Report.round(dropped, 3))
                    .put("all_back_s", Report.round(seconds, 3))
                    .put("logins_per_s", Report.round(back.sum() / (seconds - dropped), 0));
            report.latency("reconnect_login", login.snapshot());
            report.server(bench.probe(), cpuBefore);
            Fleet.closeAll(again);
        }
        return report;
    }
}
