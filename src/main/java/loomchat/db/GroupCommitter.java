package loomchat.db;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import loomchat.metrics.Metrics;
import loomchat.protocol.FrameCodec;
import loomchat.store.ChatStore;
import loomchat.store.Commit;
import loomchat.store.CommitQueue;

/**
 * Writes the store's durable changes in batches: one transaction for everything that arrived
 * in the last few milliseconds, per lane.
 *
 * <p>Each lane is a bounded queue and one writer thread; partition {@code p} always uses lane
 * {@code p % lanes}, so one user's operations are applied in the order they were queued, while
 * lanes commit in parallel (there is no single queue on the message path). A batch waits
 * {@code group_commit_delay} after its first operation arrives: that is when more operations
 * join it, and when a recipient online has time to acknowledge an item so that it is skipped
 * instead of written. Every waiting {@code ok} completes only after its batch committed.
 *
 * <p>Lane writers are platform threads: each spends its life in JDBC, and there are only a few.
 */
public final class GroupCommitter implements CommitQueue, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GroupCommitter.class.getName());

    private final Database db;
    private final FrameCodec codec;
    private final Metrics metrics;
    private final long delayNanos;
    private final int maxBatch;
    private final Lane[] lanes;
    private volatile ChatStore store; // set once before the first operation; read by lane threads
    private volatile boolean closing;

    public GroupCommitter(Database db, FrameCodec codec, Metrics metrics, int laneCount, Duration delay,
                          int maxBatch, int queueCapacity) {
        this.db = db;
        this.codec = codec;
        this.metrics = metrics;
        this.delayNanos = delay.toNanos();
        this.maxBatch = maxBatch;
        this.lanes = new Lane[laneCount];
        for (int i = 0; i < laneCount; i++) lanes[i] = new Lane(i, queueCapacity);
    }

    /** Connects the committer to the store it reports reservations to, and starts the lanes. */
    public void start(ChatStore store) {
        this.store = store;
        for (Lane lane : lanes) lane.thread.start();
    }

    @Override
    public boolean offer(int partition, Commit op) {
        if (closing) return false;
        return lanes[partition % lanes.length].queue.offer(new Queued(op, System.nanoTime()));
    }

    /** Operations queued and not yet committed, over all lanes. */
    public int backlog() {
        int n = 0;
        for (Lane lane : lanes) n += lane.queue.size();
        return n;
    }

    /** Stops taking operations, writes everything already queued, and stops the lanes. */
    @Override
    public void close() {
        closing = true;
        for (Lane lane : lanes) {
            try {
                lane.thread.join(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** An operation and when it was queued: every item gets its full delay to be acknowledged. */
    private record Queued(Commit op, long at) {
    }

    /** One queue and the thread that drains it. */
    private final class Lane implements Runnable {
        final BlockingQueue<Queued> queue;
        final Thread thread;

        Lane(int index, int capacity) {
            this.queue = new ArrayBlockingQueue<>(capacity);
            this.thread = Thread.ofPlatform().name("loomchat-commit-" + index).daemon().unstarted(this);
        }

        @Override
        public void run() {
            List<Commit> batch = new ArrayList<>();
            while (true) {
                Queued first;
                try {
                    first = queue.poll(50, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (first == null) {
                    if (closing && queue.isEmpty()) return;
                    continue;
                }
                // Let the batch fill, and let online recipients ack, unless it is full already.
                long wait = first.at() + delayNanos - System.nanoTime();
                if (!closing && wait > 0 && queue.size() < maxBatch) LockSupport.parkNanos(wait);
                batch.add(first.op());
                // Only operations queued at least the delay ago join: under load the queue also
                // holds items a few microseconds old, whose recipients have had no time to ack
                // them, and writing those is most of what write-back saves. Taking a prefix
                // keeps each user's operations in order.
                long cutoff = System.nanoTime() - delayNanos;
                while (batch.size() < maxBatch) {
                    Queued next = queue.peek(); // this thread is the lane's only consumer
                    if (next == null || (!closing && next.at() > cutoff)) break;
                    queue.poll();
                    batch.add(next.op());
                }
                Exception failure = commit(batch);
                batch.clear();
                if (failure != null) backOff(failure);
                else if (failedBatches > 0) recovered();
            }
        }

        private int failedBatches;
        private long backoffNanos;

        /**
         * After a failed batch, wait before the next one, doubling up to a second: while the
         * database is down, retrying every few milliseconds would only burn CPU and fill the log.
         * Only the first failure of an outage is logged as a warning.
         */
        private void backOff(Exception failure) {
            if (failedBatches++ == 0) {
                LOG.log(System.Logger.Level.WARNING, "{0}: group commit failed, database writes are failing: {1}",
                        thread.getName(), failure.toString());
            }
            backoffNanos = Math.min(TimeUnit.SECONDS.toNanos(1), Math.max(TimeUnit.MILLISECONDS.toNanos(10), backoffNanos * 2));
            if (!closing) LockSupport.parkNanos(backoffNanos);
        }

        private void recovered() {
            LOG.log(System.Logger.Level.WARNING, "{0}: database writes recovered after {1} failed batches",
                    thread.getName(), String.valueOf(failedBatches));
            failedBatches = 0;
            backoffNanos = 0;
        }
    }

    /** Writes one batch in one transaction and answers its operations; returns the failure, or null. */
    private Exception commit(List<Commit> batch) {
        long started = System.nanoTime();
        List<Commit.WriteItem> written = new ArrayList<>();
        List<Commit.WriteItem> skipped = new ArrayList<>();
        List<Commit.ReserveSeq> reserves = new ArrayList<>();
        int deletes = 0;
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try (PreparedStatement insertItem = c.prepareStatement(
                         "INSERT INTO inbox(user_name, seq, frame) VALUES (?,?,?)");
                 PreparedStatement dropKey = c.prepareStatement(
                         "DELETE FROM send_keys WHERE user_name = ? AND request_id = ?");
                 PreparedStatement insertKey = c.prepareStatement(
                         "INSERT INTO send_keys(user_name, request_id, msg, ts) VALUES (?,?,?,?)");
                 PreparedStatement deleteItems = c.prepareStatement(
                         "DELETE FROM inbox WHERE user_name = ? AND seq <= ?");
                 PreparedStatement reserve = c.prepareStatement(
                         "UPDATE users SET seq_reserved = ? WHERE name = ? AND seq_reserved < ?");
                 PreparedStatement lastSeen = c.prepareStatement("UPDATE users SET last_seen = ? WHERE name = ?")) {
                for (Commit op : batch) {
                    switch (op) {
                        case Commit.WriteItem w -> {
                            if (!w.entry().claimForWrite()) {
                                skipped.add(w); // acknowledged before we got to it: never touches disk
                                continue;
                            }
                            written.add(w);
                            insertItem.setString(1, w.user());
                            insertItem.setLong(2, w.entry().seq());
                            insertItem.setString(3, frameText(w));
                            insertItem.addBatch();
                            if (w.sendKey() != null) {
                                Commit.SendKey k = w.sendKey();
                                dropKey.setString(1, k.sender());
                                dropKey.setString(2, k.requestId());
                                dropKey.addBatch();
                                insertKey.setString(1, k.sender());
                                insertKey.setString(2, k.requestId());
                                insertKey.setString(3, k.msg());
                                insertKey.setLong(4, k.ts());
                                insertKey.addBatch();
                            }
                        }
                        case Commit.DeleteItems d -> {
                            deletes++;
                            deleteItems.setString(1, d.user());
                            deleteItems.setLong(2, d.upTo());
                            deleteItems.addBatch();
                        }
                        case Commit.ReserveSeq r -> {
                            reserves.add(r);
                            reserve.setLong(1, r.upTo());
                            reserve.setString(2, r.user());
                            reserve.setLong(3, r.upTo());
                            reserve.addBatch();
                        }
                        case Commit.SaveLastSeen s -> {
                            lastSeen.setLong(1, s.lastSeen());
                            lastSeen.setString(2, s.user());
                            lastSeen.addBatch();
                        }
                    }
                }
                // Inserts before deletes: an item written and acknowledged within one batch is
                // inserted, then deleted, never the other way round.
                if (!written.isEmpty()) {
                    insertItem.executeBatch();
                    dropKey.executeBatch();
                    insertKey.executeBatch();
                }
                if (deletes > 0) deleteItems.executeBatch();
                if (!reserves.isEmpty()) reserve.executeBatch();
                lastSeen.executeBatch();
                c.commit();
            } catch (SQLException | RuntimeException e) {
                rollback(c);
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            metrics.commitFailures.increment();
            // The failure may have come before every operation was looked at (a statement that
            // cannot even be prepared), so answer from the batch, not from what was sorted so far.
            // Reservations first: a sender told of the failure may send again at once, and that
            // send must see that the reservation is missing so that it asks for a new one.
            for (Commit op : batch) if (op instanceof Commit.ReserveSeq r) store.reservationFailed(r.user());
            java.util.Set<Commit.WriteItem> acked = new java.util.HashSet<>(skipped);
            for (Commit op : batch) {
                switch (op) {
                    case Commit.WriteItem w when acked.contains(w) -> w.done().complete(null);
                    case Commit.WriteItem w -> {
                        w.entry().failed();
                        w.done().completeExceptionally(e);
                    }
                    default -> {
                        // deletes and last-seen updates are retried by nothing: at worst an item is
                        // delivered again after a restart, or last_seen is a little old
                    }
                }
            }
            return e;
        }
        // In queue order, written and skipped alike: the sender's oks must come in the order its
        // messages were queued, which is the order the recipient receives them.
        for (Commit.ReserveSeq r : reserves) store.reserved(r.user(), r.upTo()); // items may be pushed now
        for (Commit op : batch) {
            if (op instanceof Commit.WriteItem w) {
                w.entry().written(); // no effect on a skipped entry
                w.done().complete(null);
            }
        }

        long micros = (System.nanoTime() - started) / 1000;
        metrics.itemsWritten.add(written.size());
        metrics.itemsSkipped.add(skipped.size());
        metrics.itemsDeleted.add(deletes);
        metrics.commitBatches.increment();
        metrics.commitOps.add(batch.size());
        metrics.commitNanos.add(micros * 1000);
        metrics.commitBatchSize.record(batch.size());
        metrics.commitLatencyMicros.record(micros);
        return null;
    }

    private String frameText(Commit.WriteItem w) {
        byte[] line = codec.encode(w.entry().item());
        return new String(line, 0, line.length - 1, StandardCharsets.UTF_8); // without the newline
    }

    private static void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the pool will replace it
        }
    }
}
