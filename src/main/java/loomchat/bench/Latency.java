package loomchat.bench;

import java.util.concurrent.locks.ReentrantLock;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A latency distribution in microseconds, recorded wait-free from any number of threads and read
 * while the run goes on (for the progress line) without stopping the writers.
 */
final class Latency {
    private final Recorder recorder = new Recorder(3);
    private final ReentrantLock lock = new ReentrantLock();
    private final Histogram total = new Histogram(3);
    private Histogram interval;

    void recordNanos(long nanos) {
        recorder.recordValue(Math.max(0, nanos / 1000));
    }

    /** Everything recorded since the last {@link #reset}, as a copy. */
    Histogram snapshot() {
        lock.lock();
        try {
            interval = recorder.getIntervalHistogram(interval);
            total.add(interval);
            return total.copy();
        } finally {
            lock.unlock();
        }
    }

    /** The 99th percentile so far, in milliseconds. */
    double p99Millis() {
        Histogram h = snapshot();
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99) / 1000.0;
    }

    /** Forgets what was recorded (after a warm-up). */
    void reset() {
        lock.lock();
        try {
            recorder.reset();
            total.reset();
        } finally {
            lock.unlock();
        }
    }
}
