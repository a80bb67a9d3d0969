package loomchat.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import loomchat.protocol.ServerFrame;

/**
 * The receiving side of one round: checks that each receiver gets messages 0..n-1 of its stream
 * exactly once and in order, and records how long each took from its send time.
 *
 * <p>Each receiver's counter is touched by that receiver's reader thread only; the atomic array
 * is there so that the main thread can read the totals while the round runs.
 */
final class Delivery {
    final String tag;
    final int messages;
    final Latency latency = new Latency();
    final LongAdder delivered = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder outOfOrder = new LongAdder();
    final LongAdder stale = new LongAdder();
    private final AtomicLongArray next;
    private final CountDownLatch complete;

    /**
     * @param receivers how many receivers check a stream
     * @param done      counted down once per receiver that has its whole stream
     */
    Delivery(String tag, int messages, int receivers, CountDownLatch done) {
        this.tag = tag;
        this.messages = messages;
        this.next = new AtomicLongArray(receivers);
        this.complete = done;
    }

    /** Receiver {@code r}, expecting stream {@code stream}, got an inbox item. */
    void received(int r, int stream, ServerFrame.InboxItem item) {
        if (!(item instanceof ServerFrame.Msg m)) return; // receipts and group events
        long now = System.nanoTime();
        Stamp s = Stamp.parse(m.body());
        if (s == null || !s.tag().equals(tag)) {
            stale.increment(); // left over from an earlier, interrupted run
            return;
        }
        latency.recordNanos(now - s.nanos());
        long expected = next.get(r);
        if (s.stream() != stream || s.n() < expected) {
            duplicates.increment();
            return;
        }
        if (s.n() > expected) outOfOrder.increment(); // a gap: something before it is missing or late
        next.set(r, s.n() + 1L);
        delivered.increment();
        if (s.n() + 1L == messages) complete.countDown();
    }

    /** Messages that arrived in order, over all receivers. */
    long inOrder() {
        long sum = 0;
        for (int i = 0; i < next.length(); i++) sum += next.get(i);
        return sum;
    }

    /** True if every receiver got every message of its stream once, in order. */
    boolean exact() {
        return duplicates.sum() == 0 && outOfOrder.sum() == 0 && inOrder() == (long) messages * next.length()
                && delivered.sum() == inOrder();
    }
}
