package loomchat.metrics;

import java.util.concurrent.atomic.LongAdder;

/** A Prometheus-style histogram with fixed bucket bounds, safe to record into from any thread. */
public final class Histogram {
    private final long[] bounds;
    private final LongAdder[] buckets;
    private final LongAdder count = new LongAdder();
    private final LongAdder sum = new LongAdder();

    public Histogram(long... bounds) {
        this.bounds = bounds.clone();
        this.buckets = new LongAdder[bounds.length];
        for (int i = 0; i < bounds.length; i++) buckets[i] = new LongAdder();
    }

    public void record(long value) {
        count.increment();
        sum.add(value);
        for (int i = 0; i < bounds.length; i++) {
            if (value <= bounds[i]) {
                buckets[i].increment();
                return;
            }
        }
    }

    public long count() {
        return count.sum();
    }

    public long sum() {
        return sum.sum();
    }

    void render(StringBuilder b, String name) {
        b.append("# TYPE ").append(name).append(" histogram\n");
        long cumulative = 0;
        for (int i = 0; i < bounds.length; i++) {
            cumulative += buckets[i].sum();
            b.append(name).append("_bucket{le=\"").append(bounds[i]).append("\"} ").append(cumulative).append('\n');
        }
        b.append(name).append("_bucket{le=\"+Inf\"} ").append(count.sum()).append('\n');
        b.append(name).append("_sum ").append(sum.sum()).append('\n');
        b.append(name).append("_count ").append(count.sum()).append('\n');
    }
}
