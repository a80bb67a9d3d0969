package loomchat.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A server's resident set size over a run, and whether it levelled off: the highest sample of the
 * last third of the run may exceed the highest of the middle third by at most 10%. A leak grows
 * without end; a healthy JVM grows while its heap and caches warm up, then stays put.
 */
final class RssTrend {
    /** How much the last third may rise over the middle third and still count as level. */
    static final double TOLERANCE = 0.10;

    /** One reading: seconds since the start, and RSS in KiB. */
    record Sample(double seconds, long kib) {
    }

    /** The figures of a finished run; {@code levelled} is null when there were too few samples to tell. */
    record Summary(long firstKiB, long maxKiB, long lastKiB, long middleThirdMaxKiB, long lastThirdMaxKiB,
                   int samples, Boolean levelled) {
        String verdict() {
            if (levelled == null) return "too few samples to tell";
            return levelled ? "levelled off" : "still growing";
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final List<Sample> samples = new ArrayList<>();

    void add(double seconds, long kib) {
        lock.lock();
        try {
            samples.add(new Sample(seconds, kib));
        } finally {
            lock.unlock();
        }
    }

    /** The summary, or null if nothing was sampled. */
    Summary summary() {
        List<Sample> s;
        lock.lock();
        try {
            s = List.copyOf(samples);
        } finally {
            lock.unlock();
        }
        if (s.isEmpty()) return null;
        long max = s.stream().mapToLong(Sample::kib).max().orElseThrow();
        double end = s.get(s.size() - 1).seconds();
        long middle = maxBetween(s, end / 3, 2 * end / 3);
        long last = maxBetween(s, 2 * end / 3, Double.MAX_VALUE);
        Boolean levelled = s.size() < 6 || middle == 0 || last == 0 ? null : last <= middle * (1 + TOLERANCE);
        return new Summary(s.get(0).kib(), max, s.get(s.size() - 1).kib(), middle, last, s.size(), levelled);
    }

    private static long maxBetween(List<Sample> s, double from, double to) {
        long max = 0;
        for (Sample x : s) if (x.seconds() > from && x.seconds() <= to) max = Math.max(max, x.kib());
        return max;
    }
}
