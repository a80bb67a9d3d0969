package loomchat.bench;

import java.util.BitSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import loomchat.protocol.ServerFrame;

/**
 * The receiving side of one round: checks that each receiver gets messages 0..n-1 of its stream
 * exactly once and in order, and records how long each took from its send time.
 *
 * <p>Each receiver keeps the set of numbers it has had and the highest of them, so that every
 * anomaly is named for what it is: a number had before is a duplicate; a new number below the
 * highest is out of order (it arrived late, after a later one); a number never had is missing,
 * however the others arrived. Counting "the next expected number" instead, as this class once
 * did, took a gap for a single loss and every late arrival after it for a duplicate.
 *
 * <p>A receiver's state is touched by that receiver's reader thread only; the totals are
 * {@link LongAdder}s so that the main thread can read them while the round runs.
 *
 * <p>A round may be given the round before it ({@code earlier}): a message of the earlier round
 * that arrives during this one is then checked against the earlier round (a repeat there is the
 * earlier round's duplicate) rather than ignored, so that the warm-up is verified to the end.
 * Messages of other runs, with tags of neither round, are counted as stale and otherwise ignored.
 */
final class Delivery {
    final String tag;
    final int messages;
    final Latency latency = new Latency();
    /** Distinct messages of this round that reached the receiver of their stream. */
    final LongAdder delivered = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder outOfOrder = new LongAdder();
    /** Messages of this round with another receiver's stream, or a number outside the round. */
    final LongAdder misdelivered = new LongAdder();
    final LongAdder stale = new LongAdder();
    private final Delivery earlier;
    private final BitSet[] seen;
    private final int[] highest;
    private final int[] distinct;
    private final CountDownLatch complete;

    /**
     * @param receivers how many receivers check a stream
     * @param done      counted down once per receiver that has its whole stream
     * @param earlier   the run's previous round, whose late messages this one passes back to it (may be null)
     */
    Delivery(String tag, int messages, int receivers, CountDownLatch done, Delivery earlier) {
        this.tag = tag;
        this.messages = messages;
        this.earlier = earlier;
        this.seen = new BitSet[receivers];
        this.highest = new int[receivers];
        this.distinct = new int[receivers];
        for (int r = 0; r < receivers; r++) {
            seen[r] = new BitSet(messages);
            highest[r] = -1;
        }
        this.complete = done;
    }

    /** Receiver {@code r}, expecting stream {@code stream}, got an inbox item. */
    void received(int r, int stream, ServerFrame.InboxItem item) {
        if (!(item instanceof ServerFrame.Msg m)) return; // receipts and group events
        long now = System.nanoTime();
        Stamp s = Stamp.parse(m.body());
        if (s != null && s.tag().equals(tag)) {
            check(r, stream, s, now);
        } else if (s != null && earlier != null && s.tag().equals(earlier.tag)) {
            earlier.check(r, stream, s, now);
        } else {
            stale.increment(); // left over from an earlier, interrupted run
        }
    }

    private void check(int r, int stream, Stamp s, long now) {
        int n = s.n();
        if (s.stream() != stream || n < 0 || n >= messages) {
            misdelivered.increment();
            return;
        }
        if (seen[r].get(n)) {
            duplicates.increment();
            return;
        }
        // Only a first arrival is timed: a duplicate's latency is how long the repeat took, and a
        // misdelivered message's is someone else's.
        latency.recordNanos(now - s.nanos());
        seen[r].set(n);
        if (n < highest[r]) outOfOrder.increment();
        else highest[r] = n;
        delivered.increment();
        if (++distinct[r] == messages) complete.countDown();
    }

    /** Messages that never reached the receiver of their stream, over all receivers. */
    long missing() {
        return (long) messages * seen.length - delivered.sum();
    }

    /** True if every receiver got every message of its stream once, in order, and nothing else of this round. */
    boolean exact() {
        return missing() == 0 && duplicates.sum() == 0 && outOfOrder.sum() == 0 && misdelivered.sum() == 0;
    }
}
