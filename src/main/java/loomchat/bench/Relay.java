package loomchat.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import loomchat.client.ChatClient;
import loomchat.client.ChatException;
import loomchat.client.ClientLoop;

/**
 * {@code relay}: pairs of users, each sender sending a stream of messages to its receiver, who
 * acknowledges them (the client acks cumulatively). Measures delivered messages per second and
 * the latencies send→receive and send→{@code ok}, and checks every stream arrived exactly once
 * and in order.
 *
 * <p>A warm-up round, by default as long as the measured one, runs first and is not timed:
 * on a fresh server the C2 compiler took about a quarter of the server's CPU for the first ~18 s
 * of load, so a short warm-up measured the compiler. Its delivery is verified all the same, and
 * its verdict is part of the run's. Each round carries its own tag so that nothing of one is
 * counted in the other.
 *
 * <p>The closed loop runs a {@link ChatClient} per connection. The open loop runs them all on one
 * {@link ClientLoop} unless asked for client threads: at 40 messages a second per connection, a
 * thread per connection is woken for nearly every frame, and the generator shares the machine.
 */
final class Relay {
    private final Bench bench;
    private final Workloads.RelayOptions opt;
    private final String runId = Long.toString(System.nanoTime() & 0xffffffL, 36);
    private volatile Delivery delivery; // the round under way, read by the receivers' reader threads or the loop

    Relay(Bench bench, Workloads.RelayOptions opt) {
        this.bench = bench;
        this.opt = opt;
    }

    Report run() throws Exception {
        Report report = new Report(opt.rate() > 0 ? "relay-open-loop" : "relay");
        List<String> senderNames = Fleet.names("bench-s", opt.pairs());
        List<String> receiverNames = Fleet.names("bench-r", opt.pairs());
        LongAdder opened = new LongAdder();
        LongAdder connectErrors = new LongAdder();
        boolean onLoop = opt.rate() > 0 && !opt.clientThreads();
        try (Progress progress = new Progress(bench.progressOut(), report.get("workload").toString())) {
            progress.show("accounts", bench.tokens()::registered, "registered", null, () -> 0);
            bench.tokens().ensure(bench.target(), concat(senderNames, receiverNames), bench.concurrency());
            progress.show("connect", opened::sum, "logged in", null, connectErrors::sum);
            Pairs pairs = onLoop ? onLoop(senderNames, receiverNames, opened, connectErrors)
                    : onClients(senderNames, receiverNames, opened, connectErrors);
            if (connectErrors.sum() > 0) {
                pairs.close();
                return report.put("error", connectErrors.sum() + " clients could not connect and log in");
            }
            Result warmUp = null;
            if (opt.warmup() > 0) {
                // The open loop warms up at its own rate: a closed-loop warm-up would train the JIT
                // on another pattern, and ask more of one selector thread than the measurement does.
                warmUp = round(progress, "warm-up", Math.min(opt.warmup(), opt.messages()), pairs, receiverNames,
                        opt.rate(), null);
            }
            ServerMetrics.Scrape metricsBefore = ServerMetrics.scrape(bench.target());
            CpuSample cpuBefore = CpuSample.startMeasuring(bench.probe());
            Result r = round(progress, "measure", opt.messages(), pairs, receiverNames, opt.rate(),
                    warmUp == null ? null : warmUp.delivery);
            CpuSample cpuAfter = CpuSample.take(bench.probe());
            ServerMetrics.Scrape metricsAfter = ServerMetrics.scrapeSettled(bench.target(), Duration.ofSeconds(5));
            pairs.close();

            report.put("pairs", opt.pairs()).put("connections", 2 * opt.pairs())
                    .put("messages_per_sender", opt.messages()).put("body_bytes", opt.bytes());
            if (opt.rate() > 0) {
                report.put("target_rate_per_s", opt.rate())
                        .put("client", onLoop ? "one selector thread" : "a ChatClient and virtual thread each");
            } else {
                report.put("window", opt.window());
            }
            Delivery d = r.delivery;
            report.put("delivered", d.delivered.sum())
                    .put("elapsed_s", Report.round(r.seconds, 3))
                    .put("delivered_per_s", Report.round(d.delivered.sum() / r.seconds, 0))
                    .delivery(d, warmUp == null ? null : warmUp.delivery)
                    .put("send_errors", r.sending.errors.sum());
            report.latency("send_to_receive", d.latency.snapshot());
            report.latency("send_to_ok", r.sending.okLatency.snapshot());
            // Latencies count from the time a send was due, so a generator that falls behind its
            // schedule shows up in them: this says how much of them is the generator's own delay.
            if (opt.rate() > 0) report.latency("generator_lateness", r.sending.lateness.snapshot());
            report.writeBack(metricsBefore, metricsAfter, r.sending.oks.sum(), bench.progressOut());
            report.cpu(bench.probe(), cpuBefore, cpuAfter);
            if (bench.tokens().passwordLogins() > 0) {
                report.put("note", bench.tokens().registered() + " accounts registered, "
                        + bench.tokens().passwordLogins() + " password logins before the run");
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
     * @param earlier the run's warm-up round, if this is the measured one: warm-up messages that
     *                arrive during this round are checked against it (see {@link Delivery})
     */
    private Result round(Progress progress, String phase, int messages, Pairs pairs,
                         List<String> receiverNames, double rate, Delivery earlier) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(2 * opt.pairs());
        Delivery d = new Delivery(runId + "-" + phase, messages, opt.pairs(), done, earlier);
        Sending sending = new Sending(d.tag, opt.pairs(), messages, opt.bytes(),
                (s, body) -> pairs.send(s, receiverNames.get(s), body), done);
        delivery = d;
        progress.show(phase, d.delivered::sum, "msgs", d.latency, () -> sending.errors.sum() + d.duplicates.sum()
                + d.outOfOrder.sum() + d.misdelivered.sum());
        long start = System.nanoTime();
        if (rate > 0) sending.startOpenLoop(rate);
        else sending.startClosedLoop(opt.window());
        boolean finished = done.await(opt.timeout().toMillis(), TimeUnit.MILLISECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (!finished) {
            sending.stop();
            bench.progressOut().println("relay " + phase + ": not finished within " + opt.timeout()
                    + "; reporting what arrived");
        }
        return new Result(d, sending, seconds);
    }

    /** The pairs' connections: how sender {@code s} sends. Items reach {@link #delivery} from either kind. */
    private interface Pairs {
        CompletableFuture<?> send(int s, String to, String body);

        void close() throws InterruptedException;
    }

    /** A {@link ChatClient}, with its reader thread, per connection: the closed loop, and the open loop with --client-threads. */
    private Pairs onClients(List<String> senderNames, List<String> receiverNames, LongAdder opened,
                            LongAdder connectErrors) throws InterruptedException {
        ChatClient[] receivers = Fleet.open(bench, receiverNames, 0, r -> c -> c.onItem(item -> {
            Delivery d = delivery;
            if (d != null) d.received(r, r, item);
        }), null, opened, connectErrors);
        ChatClient[] senders = Fleet.open(bench, senderNames, opt.pairs(), s -> c -> { }, null, opened, connectErrors);
        return new Pairs() {
            @Override
            public CompletableFuture<?> send(int s, String to, String body) {
                return senders[s].send(to, body);
            }

            @Override
            public void close() throws InterruptedException {
                Fleet.closeAll(senders);
                Fleet.closeAll(receivers);
            }
        };
    }

    /**
     * Every connection on one {@link ClientLoop}: the open loop's default. Receivers are
     * connections 0 to pairs - 1, senders the next pairs; they log in one after the other.
     */
    private Pairs onLoop(List<String> senderNames, List<String> receiverNames, LongAdder opened,
                         LongAdder connectErrors) throws IOException {
        int n = opt.pairs();
        // Numbers follow the order of the connects, and any failed login ends the run, so
        // receiver r is connection r and sender s is connection pairs + s.
        ClientLoop loop = new ClientLoop("bench-loop", (connection, item) -> {
            Delivery d = delivery;
            if (d != null && connection < n) d.received(connection, connection, item);
        });
        List<String> all = concat(receiverNames, senderNames);
        for (int i = 0; i < all.size(); i++) {
            String user = all.get(i);
            try {
                bench.target().connect(loop, i, user, bench.tokens().token(user));
                opened.increment();
            } catch (IOException | ChatException e) {
                connectErrors.increment();
                if (connectErrors.sum() <= 3) bench.progressOut().println("connect/login of " + user + " failed: " + e);
            }
        }
        return new Pairs() {
            @Override
            public CompletableFuture<?> send(int s, String to, String body) {
                return loop.send(n + s, to, body);
            }

            @Override
            public void close() {
                loop.close();
            }
        };
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
