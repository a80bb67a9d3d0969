package loomchat.bench;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import loomchat.client.ChatClient;
import loomchat.client.ChatException;

/**
 * {@code group}: one sender and a group of {@code members} users (the sender included), all
 * online. The sender sends a stream of messages to the group with a window of sends in flight;
 * every other member must get each message once, in order. Reports deliveries per second
 * (messages times receiving members). As in {@link Relay}, an untimed warm-up round runs first,
 * and its delivery is verified too.
 */
final class GroupFanout {
    private final Bench bench;
    private final Workloads.GroupOptions opt;
    private final String runId = Long.toString(System.nanoTime() & 0xffffffL, 36);
    private volatile Delivery delivery; // the round under way, read by the members' reader threads

    GroupFanout(Bench bench, Workloads.GroupOptions opt) {
        this.bench = bench;
        this.opt = opt;
    }

    Report run() throws Exception {
        Report report = new Report("group");
        List<String> names = Fleet.names("bench-g", opt.members());
        int receivers = opt.members() - 1;
        LongAdder opened = new LongAdder();
        LongAdder errors = new LongAdder();
        try (Progress progress = new Progress(bench.progressOut(), "group")) {
            progress.show("accounts", bench.tokens()::registered, "registered", null, () -> 0);
            bench.tokens().ensure(bench.target(), names, bench.concurrency());
            progress.show("connect", opened::sum, "logged in", null, errors::sum);
            ChatClient[] clients = Fleet.open(bench, names, 0, i -> c -> c.onItem(item -> {
                Delivery d = delivery;
                if (d != null && i > 0) d.received(i - 1, 0, item);
            }), null, opened, errors);
            try {
                if (errors.sum() > 0) return report.put("error", errors.sum() + " members could not log in");
                ChatClient sender = clients[0];
                String group;
                try {
                    group = sender.groupCreate("bench-" + runId, names.subList(1, names.size()));
                } catch (ChatException e) {
                    return report.put("error", "the server refused group_create (groups not implemented yet?): "
                            + e.getMessage());
                }
                Result warmUp = opt.warmup() <= 0 ? null
                        : round(progress, "warm-up", Math.min(opt.warmup(), opt.messages()), sender, group, receivers, null);
                ServerMetrics.Scrape metricsBefore = ServerMetrics.scrape(bench.target());
                CpuSample cpuBefore = CpuSample.startMeasuring(bench.probe());
                Result r = round(progress, "measure", opt.messages(), sender, group, receivers,
                        warmUp == null ? null : warmUp.delivery());
                CpuSample cpuAfter = CpuSample.take(bench.probe());
                // Settled: the sender's last receipts are acked (or written) after its last ok.
                ServerMetrics.Scrape metricsAfter = ServerMetrics.scrapeSettled(bench.target(), Duration.ofSeconds(5));
                Delivery d = r.delivery();
                report.put("members", opt.members()).put("messages", opt.messages()).put("window", opt.window())
                        .put("body_bytes", opt.bytes())
                        .put("deliveries", d.delivered.sum())
                        .put("elapsed_s", Report.round(r.seconds(), 3))
                        .put("deliveries_per_s", Report.round(d.delivered.sum() / r.seconds(), 0))
                        .put("messages_per_s", Report.round(opt.messages() / r.seconds(), 1))
                        .delivery(d, warmUp == null ? null : warmUp.delivery());
                report.latency("send_to_receive", d.latency.snapshot());
                report.writeBack(metricsBefore, metricsAfter, r.sending().oks.sum(), bench.progressOut());
                report.cpu(bench.probe(), cpuBefore, cpuAfter);
            } finally {
                Fleet.closeAll(clients);
            }
        }
        return report;
    }

    /** What one round measured. */
    private record Result(Delivery delivery, Sending sending, double seconds) {
    }

    /**
     * Runs one round.
     *
     * @param earlier the warm-up round, if this is the measured one: warm-up messages that arrive
     *                during this round are checked against it (see {@link Delivery})
     */
    private Result round(Progress progress, String phase, int messages, ChatClient sender, String group,
                        int receivers, Delivery earlier) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(receivers + 1);
        Delivery d = new Delivery(runId + "-" + phase, messages, receivers, done, earlier);
        Sending sending = new Sending(d.tag, 1, messages, opt.bytes(), (s, body) -> sender.sendToGroup(group, body),
                done);
        delivery = d;
        progress.show(phase, d.delivered::sum, "deliveries", d.latency,
                () -> sending.errors.sum() + d.duplicates.sum() + d.outOfOrder.sum() + d.misdelivered.sum());
        long start = System.nanoTime();
        sending.startClosedLoop(opt.window());
        if (!done.await(opt.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
            bench.progressOut().println("group " + phase + ": not finished within " + opt.timeout()
                    + "; reporting what arrived");
        }
        return new Result(d, sending, (System.nanoTime() - start) / 1e9);
    }
}
