package loomchat.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sending side of one round: each sender sends its stream of numbered messages, either
 * closed-loop (at most {@code window} unanswered sends each, the next one sent when an {@code ok}
 * comes back) or open-loop (at a fixed total rate, on a schedule made in advance).
 *
 * <p>Open-loop latencies count from the time a message was due, not from when it went out: a
 * stalled server delays every send scheduled behind the stall, and those delays are counted, so
 * the percentiles do not suffer from coordinated omission.
 */
final class Sending {
    /** Sends {@code body} from sender {@code s}; the future completes with the server's answer. */
    interface Channel {
        CompletableFuture<?> send(int s, String body);
    }

    final Latency okLatency = new Latency();
    /** Open loop: how late the generator itself wrote each send, after the time it was due. */
    final Latency lateness = new Latency();
    final LongAdder oks = new LongAdder();
    final LongAdder errors = new LongAdder();
    private final String tag;
    private final int messages;
    private final int bytes;
    private final Channel channel;
    private final AtomicIntegerArray sent;
    private final AtomicIntegerArray answered;
    private final CountDownLatch done;
    private final List<Thread> schedulers = new ArrayList<>();
    private final ReentrantLock[] order;

    /** @param done counted down once per sender when all its sends are answered */
    Sending(String tag, int senders, int messages, int bytes, Channel channel, CountDownLatch done) {
        this.tag = tag;
        this.messages = messages;
        this.bytes = bytes;
        this.channel = channel;
        this.sent = new AtomicIntegerArray(senders);
        this.answered = new AtomicIntegerArray(senders);
        this.order = new ReentrantLock[senders];
        for (int i = 0; i < senders; i++) order[i] = new ReentrantLock();
        this.done = done;
    }

    /** Starts every sender with {@code window} sends in flight; each answer sends the next. */
    void startClosedLoop(int window) {
        for (int s = 0; s < sent.length(); s++) {
            for (int w = 0; w < window; w++) sendNext(s);
        }
    }

    private void sendNext(int s) {
        CompletableFuture<?> answer;
        long t;
        // Numbering and writing under one lock: the first window is sent from the starting thread
        // while early oks already send more from the client's reader thread, and message n must
        // not reach the socket after message n + 1.
        ReentrantLock lock = order[s];
        lock.lock();
        try {
            int n = sent.getAndIncrement(s);
            if (n >= messages) return;
            t = System.nanoTime();
            answer = channel.send(s, Stamp.body(tag, s, n, t, bytes));
        } finally {
            lock.unlock();
        }
        answer.whenComplete((ok, error) -> {
            answered(s, t, error);
            sendNext(s);
        });
    }

    /**
     * Sends at {@code totalRate} messages a second in total, on a schedule fixed in advance: the
     * k-th message is due at {@code k / totalRate} seconds, from sender {@code k % senders}, so
     * each sender sends every {@code senders / totalRate} seconds and the total is smooth.
     *
     * <p>One platform thread paces them all. A virtual thread per sender, each parked until its
     * next send, cost the generator a scheduler timer per message; on a box it shares with the
     * server, the generator's CPU is taken from the server.
     */
    void startOpenLoop(double totalRate) {
        int senders = sent.length();
        long total = (long) senders * messages;
        double nanosPerMessage = 1e9 / totalRate;
        long start = System.nanoTime() + 10_000_000; // a moment for the thread to start
        schedulers.add(Thread.ofPlatform().name("bench-pacer").daemon().start(() -> {
            for (long k = 0; k < total; k++) {
                long due = start + Math.round(k * nanosPerMessage);
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                    if (Thread.currentThread().isInterrupted()) return;
                }
                int sender = (int) (k % senders);
                int n = (int) (k / senders);
                sent.incrementAndGet(sender);
                lateness.recordNanos(System.nanoTime() - due);
                channel.send(sender, Stamp.body(tag, sender, n, due, bytes))
                        .whenComplete((ok, error) -> answered(sender, due, error));
            }
        }));
    }

    private void answered(int s, long since, Throwable error) {
        if (error == null) {
            okLatency.recordNanos(System.nanoTime() - since);
            oks.increment();
        } else {
            errors.increment();
        }
        if (answered.incrementAndGet(s) == messages) done.countDown();
    }

    /** Stops open-loop schedulers that are still sending (after a timeout). */
    void stop() {
        for (Thread t : schedulers) t.interrupt();
    }

    long sentTotal() {
        long n = 0;
        for (int s = 0; s < sent.length(); s++) n += Math.min(sent.get(s), messages);
        return n;
    }
}
