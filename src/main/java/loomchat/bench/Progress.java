package loomchat.bench;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * A status line once a second on stderr while a workload runs: elapsed time, the rate of its
 * counter, the p99 latency so far and the errors. Lines, not a rewritten line, so that a log of
 * the run keeps them.
 */
final class Progress implements AutoCloseable {
    /**
     * What the run is doing, set in one piece so that the line never mixes two phases. It holds
     * when the phase began and its count then: the first line of a phase gives the rate since
     * then, not since the previous line (which still belonged to the phase before), nor as if
     * the count had started from zero (a "hold" phase shows the connections it holds, not a burst).
     */
    private record Phase(String name, LongSupplier count, String unit, Latency latency, LongSupplier errors,
                         long startNanos, long startCount) {
    }

    private final PrintStream out;
    private final String workload;
    private final long started = System.nanoTime();
    private final Thread thread;
    private volatile Phase phase;
    /** Guards the last line's time and count: the printer writes them, and a test may ask for a line too. */
    private final ReentrantLock lineLock = new ReentrantLock();
    private Phase lastPhase;
    private long lastNanos;
    private long lastCount;

    Progress(PrintStream out, String workload) {
        this.out = out;
        this.workload = workload;
        this.phase = new Phase("starting", () -> 0, "", null, () -> 0, started, 0);
        this.thread = Thread.ofPlatform().name("bench-progress").daemon().start(this::loop);
    }

    /** What the run is doing now and what to show for it; {@code latency} may be null. */
    void show(String phase, LongSupplier count, String unit, Latency latency, LongSupplier errors) {
        this.phase = new Phase(phase, count, unit, latency, errors, System.nanoTime(), count.getAsLong());
    }

    private void loop() {
        while (true) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            out.println(line(System.nanoTime()));
        }
    }

    /** The status line at time {@code now}: the rate is over the time since the last line or since the phase began. */
    String line(long now) {
        lineLock.lock();
        try {
            Phase p = phase;
            if (p != lastPhase) {
                lastPhase = p;
                lastNanos = p.startNanos();
                lastCount = p.startCount();
            }
            long c = p.count().getAsLong();
            double rate = (c - lastCount) / Math.max(1e-9, (now - lastNanos) / 1e9);
            lastNanos = now;
            lastCount = c;
            Latency l = p.latency();
            String p99 = l == null ? "" : String.format(Locale.ROOT, "  p99 %.2f ms", l.p99Millis());
            return String.format(Locale.ROOT, "[%s %s] %5.1fs  %,d %s  %,.0f %s/s%s  errors %d", workload, p.name(),
                    (now - started) / 1e9, c, p.unit(), rate, p.unit(), p99, p.errors().getAsLong());
        } finally {
            lineLock.unlock();
        }
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
