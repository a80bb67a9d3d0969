package loomchat.bench;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A status line once a second on stderr while a workload runs: elapsed time, the rate of its
 * counter, the p99 latency so far and the errors. Lines, not a rewritten line, so that a log of
 * the run keeps them.
 */
final class Progress implements AutoCloseable {
    private final PrintStream out;
    private final String workload;
    private final long started = System.nanoTime();
    private final Thread thread;
    private volatile String phase = "starting";
    private volatile LongSupplier count = () -> 0;
    private volatile String unit = "";
    private volatile Latency latency;
    private volatile LongSupplier errors = () -> 0;

    Progress(PrintStream out, String workload) {
        this.out = out;
        this.workload = workload;
        this.thread = Thread.ofPlatform().name("bench-progress").daemon().start(this::loop);
    }

    /** What the run is doing now and what to show for it; {@code latency} may be null. */
    void show(String phase, LongSupplier count, String unit, Latency latency, LongSupplier errors) {
        this.count = count;
        this.unit = unit;
        this.latency = latency;
        this.errors = errors;
        this.phase = phase;
    }

    private void loop() {
        long lastCount = 0;
        String lastPhase = null;
        long last = System.nanoTime();
        while (true) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            String p = phase;
            long c = count.getAsLong();
            if (!p.equals(lastPhase)) lastCount = 0; // a new phase counts from zero
            double rate = (c - lastCount) / ((now - last) / 1e9);
            Latency l = latency;
            String p99 = l == null ? "" : String.format(Locale.ROOT, "  p99 %.2f ms", l.p99Millis());
            out.printf(Locale.ROOT, "[%s %s] %5.1fs  %,d %s  %,.0f %s/s%s  errors %d%n", workload, p,
                    (now - started) / 1e9, c, unit, rate, unit, p99, errors.getAsLong());
            lastCount = c;
            lastPhase = p;
            last = now;
        }
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
