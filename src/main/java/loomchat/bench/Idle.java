package loomchat.bench;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import loomchat.client.ChatClient;

/**
 * {@code idle}: opens many connections, logs each in by token, and holds them. Reports the
 * connect+login rate and, with the server's pid, what the connections cost in server RSS and in
 * live heap, each reading taken after a full GC in the server so that it counts live memory, not
 * garbage.
 */
final class Idle {
    record Options(int connections, Duration hold) {
    }

    /**
     * The server's live heap and the heap it holds from the OS, read after the RSS reading. RSS
     * per connection moves with the free heap the collector keeps: free heap already resident
     * before the connections arrive hides part of their data. Live bytes do not depend on heap
     * flags; the committed sizes show how much free room there was.
     */
    private record HeapReading(long liveBytes, long committedKiB) {
        static HeapReading take(ServerProbe probe) throws InterruptedException {
            if (probe == null) return new HeapReading(-1, -1);
            return new HeapReading(ServerProbe.liveHeapBytes(probe.pid(), Duration.ofSeconds(60)), probe.heapCommittedKiB());
        }

        boolean known() {
            return liveBytes >= 0 && committedKiB >= 0;
        }
    }

    private final Bench bench;
    private final Options opt;

    Idle(Bench bench, Options opt) {
        this.bench = bench;
        this.opt = opt;
    }

    Report run() throws Exception {
        Report report = new Report("idle");
        List<String> names = Fleet.names("bench-i", opt.connections());
        LongAdder opened = new LongAdder();
        LongAdder errors = new LongAdder();
        Latency login = new Latency();
        ServerProbe probe = bench.probe();
        try (Progress progress = new Progress(bench.progressOut(), "idle")) {
            progress.show("accounts", bench.tokens()::registered, "registered", null, () -> 0);
            bench.tokens().ensure(bench.target(), names, bench.concurrency());
            boolean gcBefore = probe != null && probe.gcUntilSettled();
            long rssBefore = probe == null ? 0 : probe.rssKiB();
            HeapReading heapBefore = HeapReading.take(probe);
            CpuSample cpuBefore = CpuSample.startMeasuring(probe);

            progress.show("connect", opened::sum, "logged in", login, errors::sum);
            long start = System.nanoTime();
            ChatClient[] clients = Fleet.open(bench, names, 0, i -> c -> { }, login, opened, errors);
            double seconds = (System.nanoTime() - start) / 1e9;

            progress.show("hold", opened::sum, "held", null, errors::sum);
            Thread.sleep(opt.hold().toMillis());
            long open = 0;
            for (ChatClient c : clients) if (c != null && c.isOpen()) open++;
            boolean gcAfter = probe != null && probe.gcUntilSettled();
            long rssAfter = probe == null ? 0 : probe.rssKiB();
            HeapReading heapAfter = HeapReading.take(probe);

            report.put("connections", opt.connections()).put("concurrency", bench.concurrency())
                    .put("logged_in", opened.sum()).put("errors", errors.sum())
                    .put("still_open_after_hold", open)
                    .put("connect_login_s", Report.round(seconds, 3))
                    .put("logins_per_s", Report.round(opened.sum() / seconds, 0));
            report.latency("connect_login", login.snapshot());
            if (probe != null) {
                report.put("server_gc_before_readings", gcBefore && gcAfter)
                        .put("server_rss_before_mib", Report.round(rssBefore / 1024.0, 1))
                        .put("server_rss_after_mib", Report.round(rssAfter / 1024.0, 1))
                        .put("server_rss_per_connection_kib",
                                Report.round((rssAfter - rssBefore) / (double) Math.max(1, opened.sum()), 2));
                if (heapBefore.known() && heapAfter.known()) {
                    report.put("server_live_heap_per_connection_kib",
                                    Report.round((heapAfter.liveBytes() - heapBefore.liveBytes()) / 1024.0
                                            / Math.max(1, opened.sum()), 2))
                            .put("server_heap_committed_before_mib", Report.round(heapBefore.committedKiB() / 1024.0, 1))
                            .put("server_heap_committed_after_mib", Report.round(heapAfter.committedKiB() / 1024.0, 1));
                }
            }
            report.cpu(probe, cpuBefore, CpuSample.take(probe));
            if (bench.tokens().passwordLogins() > 0) {
                report.put("note", bench.tokens().registered() + " accounts registered, "
                        + bench.tokens().passwordLogins() + " password logins before the run");
            }
            Fleet.closeAll(clients);
        }
        return report;
    }
}
