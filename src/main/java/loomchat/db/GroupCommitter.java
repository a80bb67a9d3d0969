package loomchat.db;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import loomchat.metrics.Metrics;
import loomchat.protocol.FrameCodec;
import loomchat.protocol.ServerFrame;
import loomchat.store.ChatStore;
import loomchat.store.Commit;
import loomchat.store.CommitQueue;

/**
 * Writes the store's durable changes in batches: one transaction for everything that came due
 * in the last few milliseconds, per lane.
 *
 * <p>Each lane has one writer thread; partition {@code p} always uses lane {@code p % lanes},
 * so lanes commit in parallel (there is no single queue on the message path). An operation
 * waits before it is written, and that wait is where write-back comes from: an item its
 * recipient acknowledges meanwhile is skipped, never written.
 * <ul>
 * <li>Items for an online recipient ({@link loomchat.store.InboxEntry#held() held}) wait up to
 *     {@code ack_grace}: their sender's {@code ok} goes out at the ack, so the wait costs nobody
 *     anything unless the recipient fails to ack, and under load an ack can take hundreds of
 *     milliseconds.
 * <li>Last-seen times wait {@link #LAST_SEEN_DELAY}: a user back online by then needs none,
 *     and of a user who came and went several times only the latest time is written.
 * <li>Everything else waits {@code group_commit_delay}: an offline recipient's item is what
 *     its sender's {@code ok} is waiting for.
 * </ul>
 * Each kind is a FIFO queue, and a batch takes the due prefix of each, so one user's items are
 * written in the order they were queued (the store queues a user's item to wait as the one
 * before it waits, held or not, while that one is not yet written).
 * Items already acknowledged, and last-seen times already superseded, are taken off the front
 * of the queues as soon as the writer sees them, without a transaction, so that the room they
 * hold is free long before their wait ends; when room runs short, acknowledged items are taken
 * from anywhere in the held queue, past an unacknowledged one at its front.
 *
 * <p>Room is bounded per lane ({@code commit_queue_capacity}). An item write and a last-seen time
 * each hold one unit from their offer (or their fan-out's reservation) until their batch is done,
 * committed or failed, or until they are dropped unwritten as above; seq reservations, group send
 * keys and deletes take none ({@link #takesRoom}).
 *
 * <p>Lane writers are platform threads: each spends its life in JDBC, and there are only a few.
 */
public final class GroupCommitter implements CommitQueue, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GroupCommitter.class.getName());
    /**
     * How long a last-seen time waits before it is written. Long, because a user back online by
     * then needs none (see {@link #commit}): in a reconnect storm almost nobody does. A crash
     * meanwhile leaves last_seen older by at most this much; a clean shutdown writes them all.
     */
    static final Duration LAST_SEEN_DELAY = Duration.ofSeconds(10);
    /** How long an idle writer sleeps before it looks again (it is woken by the next offer). */
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Database db;
    private final FrameCodec codec;
    private final Metrics metrics;
    private final long delayNanos;
    private final long graceNanos;
    private final long lastSeenNanos;
    private final long tickNanos;
    private final int maxBatch;
    private final long maxBatchChars;
    private final Lane[] lanes;
    private volatile ChatStore store; // set once before the first operation; read by lane threads
    private volatile boolean closing;
    /**
     * Operations queued, or with room reserved for them, and not yet answered or dropped, over
     * all lanes: while any is, a send key may still come of it, so {@link #close} waits for none.
     * Counted before {@link #closing} is read, so that no offer can slip in unseen as it is set;
     * a batch is taken off only after its answers, which queue the keys, have run.
     */
    private final AtomicLong unanswered = new AtomicLong();
    /** Set by {@link #close} once nothing has been left unanswered for a while: the lanes end. */
    private volatile boolean stopped;

    public GroupCommitter(Database db, FrameCodec codec, Metrics metrics, int laneCount, Duration delay,
                          Duration ackGrace, int maxBatch, long maxBatchChars, int queueCapacity) {
        this.db = db;
        this.codec = codec;
        this.metrics = metrics;
        this.delayNanos = delay.toNanos();
        this.graceNanos = Math.max(delayNanos, ackGrace.toNanos());
        this.lastSeenNanos = Math.max(graceNanos, LAST_SEEN_DELAY.toNanos());
        // A writer waiting for a far-off head wakes this often to see newer, sooner work.
        this.tickNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1), delayNanos / 4);
        this.maxBatch = maxBatch;
        this.maxBatchChars = maxBatchChars;
        this.lanes = new Lane[laneCount];
        for (int i = 0; i < laneCount; i++) lanes[i] = new Lane(i, queueCapacity);
    }

    /** Connects the committer to the store it reports reservations to, and starts the lanes. */
    public void start(ChatStore store) {
        this.store = store;
        for (Lane lane : lanes) lane.thread.start();
    }

    /**
     * Queues an operation; false if its lane has no room, or the committer is closing. A group
     * message's send key is still taken while closing: it is queued when the last member's item
     * is written, which may be in the final batches, and without it a retry after the restart
     * would be a second message to members who have the first.
     */
    @Override
    public boolean offer(int partition, Commit op) {
        unanswered.incrementAndGet(); // before closing is read: see unanswered
        Lane lane = lanes[partition % lanes.length];
        if (stopped || (closing && !(op instanceof Commit.SaveSendKey)) || (takesRoom(op) && !lane.room.tryAcquire())) {
            unanswered.decrementAndGet();
            return false;
        }
        lane.add(op);
        // Closed between the check above and the add: the lane may have ended without seeing it.
        if (stopped && !lane.thread.isAlive()) lane.failLeftovers();
        return true;
    }

    /**
     * Whether an operation takes room in its lane. A seq reservation does not: refusing it would
     * leave items that are already in an inbox unpushable, and there is at most one for every
     * {@link ChatStore#RESERVE_BLOCK} / 2 items, which do take room. Nor does a group message's
     * send key: refusing it would fail a message every member already has, and there is one for
     * a group message's many items, which took their room before. Nor does a delete of acked
     * rows: refused, the rows would come back after a restart (receipts and group events twice),
     * and there is at most one for each ack that covers a written row, whose write took room.
     */
    private static boolean takesRoom(Commit op) {
        return !(op instanceof Commit.ReserveSeq || op instanceof Commit.SaveSendKey
                || op instanceof Commit.DeleteItems);
    }

    /** The units of room a batch's operations hold, given back when it is done. */
    private static int roomTakenBy(List<Commit> batch) {
        int used = 0;
        for (Commit op : batch) if (takesRoom(op)) used++;
        return used;
    }

    @Override
    public boolean reserve(int[] partitions, long timeoutNanos) throws InterruptedException {
        // Counted while it waits, so that a fan-out waiting for room when the server closes is
        // written, not cut off, by lanes that would otherwise see nothing left to do.
        unanswered.addAndGet(partitions.length);
        boolean reserved = false;
        try {
            reserved = !closing && takeRoom(partitions, timeoutNanos);
            return reserved;
        } finally {
            if (!reserved) unanswered.addAndGet(-partitions.length);
        }
    }

    private boolean takeRoom(int[] partitions, long timeoutNanos) throws InterruptedException {
        int[] counts = new int[lanes.length];
        for (int p : partitions) counts[p % lanes.length]++;
        long deadline = System.nanoTime() + timeoutNanos;
        // Lanes in index order: two fan-outs never wait for each other's half-taken room.
        for (int i = 0; i < lanes.length; i++) {
            if (counts[i] == 0) continue;
            if (counts[i] > lanes[i].capacity) {
                for (int j = 0; j < i; j++) lanes[j].room.release(counts[j]);
                return false; // more than the lane can ever hold: waiting would not help
            }
            boolean taken;
            try {
                taken = lanes[i].room.tryAcquire(counts[i]) || awaitRoom(lanes[i], counts[i], deadline);
            } catch (InterruptedException e) {
                for (int j = 0; j < i; j++) lanes[j].room.release(counts[j]); // else held for good
                throw e;
            }
            if (!taken) {
                for (int j = 0; j < i; j++) lanes[j].room.release(counts[j]);
                return false;
            }
        }
        return true;
    }

    /** Waits until {@code deadline} for {@code units} of a lane's room, counted in the metrics while it waits. */
    private boolean awaitRoom(Lane lane, int units, long deadline) throws InterruptedException {
        metrics.waitingForCommitRoom.increment();
        try {
            return lane.room.tryAcquire(units, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } finally {
            metrics.waitingForCommitRoom.decrement();
        }
    }

    @Override
    public void offerReserved(int partition, Commit op) {
        lanes[partition % lanes.length].add(op); // counted by reserve
    }

    @Override
    public void release(int partition) {
        lanes[partition % lanes.length].room.release();
        unanswered.decrementAndGet();
    }

    /**
     * Room in use over all lanes: item writes and last-seen times queued or in a batch, and room
     * reserved for fan-outs. Operations that take no room ({@link #takesRoom}) are not counted.
     */
    public int backlog() {
        int n = 0;
        for (Lane lane : lanes) n += lane.capacity - lane.room.availablePermits();
        return n;
    }

    /**
     * Stops taking operations (but group send keys), writes everything already queued, and stops
     * the lanes: once nothing has been left unanswered for {@link #QUIET_NANOS}, or after 30 s.
     * The quiet spell is for a send key queued by a fan-out's own thread just after its last
     * item was answered (every item safe before the fan-out finished); the others are queued
     * by a batch's answers, before that batch stops counting.
     */
    @Override
    public void close() {
        closing = true;
        for (Lane lane : lanes) LockSupport.unpark(lane.thread);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long quietSince = 0;
        while (System.nanoTime() < deadline) {
            long now = System.nanoTime();
            if (unanswered.get() != 0) quietSince = 0;
            else if (quietSince == 0) quietSince = now;
            else if (now - quietSince >= QUIET_NANOS) break;
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        if (unanswered.get() != 0) {
            LOG.log(System.Logger.Level.WARNING, "closing with {0} commit operations unanswered",
                    String.valueOf(unanswered.get()));
        }
        stopped = true;
        for (Lane lane : lanes) {
            LockSupport.unpark(lane.thread);
            try {
                lane.thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (!lane.thread.isAlive()) lane.failLeftovers();
        }
    }

    /** How long nothing must be left unanswered before closing lanes stop. */
    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** An operation and when it is due to be written. */
    private record Queued(Commit op, long due) {
    }

    /** The lane's queues, one per wait (held items, last-seen times, everything else), their room, and its writer. */
    private final class Lane implements Runnable {
        final int capacity;
        final Semaphore room;
        final Queue<Queued> held = new ConcurrentLinkedQueue<>();
        final Queue<Queued> lastSeen = new ConcurrentLinkedQueue<>();
        final Queue<Queued> prompt = new ConcurrentLinkedQueue<>();
        /** In the order a batch takes them; in each, operations are due in the order they came. */
        final List<Queue<Queued>> queues = List.of(held, lastSeen, prompt);
        final Thread thread;
        /** Items acknowledged before their write: skipped. */
        private static final java.util.function.Predicate<Commit> ACKED =
                op -> op instanceof Commit.WriteItem w && w.entry().acked();
        /** Last-seen times a newer one, or the user's return, made pointless: made once, not at every turn of the loop. */
        private final java.util.function.Predicate<Commit> superseded =
                op -> op instanceof Commit.SaveLastSeen s && !store.isLatestLastSeen(s.user(), s.lastSeen());
        /** Set while the writer sleeps with every queue empty: the next offer wakes it. */
        volatile boolean idle;
        /** When {@link #dropAcked} last read the whole held queue: at most once a tick. */
        private long lastSweep;

        Lane(int index, int capacity) {
            this.capacity = capacity;
            this.room = new Semaphore(capacity);
            this.thread = Thread.ofPlatform().name("loomchat-commit-" + index).daemon().unstarted(this);
        }

        /**
         * Answers as failed what was queued after this lane ended (an offer racing the close, see
         * {@link #offer}), so that nobody waits for ever. Both the close and a late offer call it;
         * each operation is taken once.
         */
        void failLeftovers() {
            List<Commit> left = new ArrayList<>();
            for (Queue<Queued> q : queues) {
                Queued op;
                while ((op = q.poll()) != null) left.add(op.op());
            }
            if (left.isEmpty()) return;
            LOG.log(System.Logger.Level.WARNING, "{0}: {1} operations queued after the lane closed, answered as failed",
                    thread.getName(), String.valueOf(left.size()));
            answerFailure(left, List.of(), new SQLException("the commit lanes are closed"));
            unanswered.addAndGet(-left.size());
        }

        /** Queues an operation whose room is already taken. */
        void add(Commit op) {
            long now = System.nanoTime();
            if (op instanceof Commit.WriteItem w && w.entry().held()) held.add(new Queued(op, now + graceNanos));
            else if (op instanceof Commit.SaveLastSeen) lastSeen.add(new Queued(op, now + lastSeenNanos));
            else prompt.add(new Queued(op, now + delayNanos));
            if (idle) LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            List<Commit> batch = new ArrayList<>();
            while (true) {
                boolean roomShort = room.availablePermits() < capacity / 4;
                boolean sweep = roomShort && System.nanoTime() - lastSweep >= tickNanos;
                dropAcked(held, sweep);
                dropSuperseded(lastSeen, sweep);
                if (sweep) lastSweep = System.nanoTime();
                dropAcked(prompt, false);
                // Short of room, last-seen times are written now rather than after their wait:
                // the wait only saves the write for a user back within it, and their room is
                // worth more to the sends being refused meanwhile (a mass disconnect, a flapping
                // client whose latest time heads the queue).
                boolean lastSeenNow = roomShort && !lastSeen.isEmpty();
                long due = lastSeenNow ? System.nanoTime() : earliestDue();
                if (due == Long.MAX_VALUE) {
                    if (closing) {
                        if (stopped) return;
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // a send key may yet come: see close()
                        continue;
                    }
                    idle = true;
                    if (held.isEmpty() && lastSeen.isEmpty() && prompt.isEmpty()) {
                        LockSupport.parkNanos(IDLE_PARK_NANOS);
                    }
                    idle = false;
                    continue;
                }
                long now = System.nanoTime();
                if (!closing && due > now) {
                    LockSupport.parkNanos(Math.min(due - now, tickNanos));
                    continue;
                }
                Exception failure;
                int requeued = 0;
                try {
                    long chars = 0;
                    for (Queue<Queued> q : queues) chars = takeDue(q, lastSeenNow && q == lastSeen, now, batch, chars);
                    failure = commit(batch);
                    // Not when closing, which must end.
                    if (failure != null && !closing) requeued = requeue(batch);
                } finally {
                    room.release(roomTakenBy(batch) - requeued); // what is queued again keeps its room
                    unanswered.addAndGet(-batch.size()); // after the answers, which queue send keys
                    batch.clear();
                }
                if (failure != null) backOff(failure);
                else if (failedBatches > 0) recovered();
            }
        }

        /** When the earliest of the queues' heads is due; {@link Long#MAX_VALUE} when every queue is empty. */
        private long earliestDue() {
            long due = Long.MAX_VALUE;
            for (Queue<Queued> q : queues) {
                Queued head = q.peek();
                if (head != null) due = Math.min(due, head.due());
            }
            return due;
        }

        /**
         * Queues again, after the back-off and behind what is queued now, what a failed batch must
         * not lose: its deletes (a delete covers every row up to its seq, so its place does not
         * matter; left undone, the rows would come back after a restart), and its receipts and
         * group events not yet acked (a group change stands once it is stored, and its events
         * are what tells the members).
         *
         * @return the operations queued again that hold room in the lane, which they keep
         */
        private int requeue(List<Commit> batch) {
            int keepingRoom = 0;
            for (Commit op : batch) {
                boolean again = op instanceof Commit.DeleteItems
                        || (op instanceof Commit.WriteItem w && isNotice(w) && !w.entry().acked());
                if (!again) continue;
                if (op instanceof Commit.WriteItem w) w.entry().rewrite = true;
                unanswered.incrementAndGet();
                add(op);
                if (takesRoom(op)) keepingRoom++;
            }
            return keepingRoom;
        }

        /**
         * Takes the acknowledged items off a queue: they are skipped without a transaction, and
         * their room is free at once rather than at the end of their wait. Normally only the
         * front of the queue, up to the first item still waiting; with {@code wholeQueue}, when
         * room runs short, every acknowledged item in it. One item that stays unacknowledged for
         * its full {@code ack_grace} (a group sender's own receipts, a thousand per message, are
         * the usual case) would otherwise keep the room of every acknowledged item queued behind
         * it until its wait ends: a 1,024-member group then waited up to a second for room at each
         * stall (p99 870 ms). The whole pass is made only when room is short.
         */
        private void dropAcked(Queue<Queued> queue, boolean wholeQueue) {
            int n = drop(queue, wholeQueue, ACKED);
            if (n > 0) metrics.itemsSkipped.add(n);
        }

        /**
         * Takes last-seen times off their queue once they are no longer worth writing (the user
         * came back, or went again and queued a newer time), as {@link #dropAcked} does for
         * items: no transaction, and their room is free at once. After a reconnect storm, the
         * times of the previous drop are all of this kind. Normally only the front of the queue;
         * with {@code wholeQueue}, when room runs short, all of it: one user who stays away heads
         * the queue for its whole wait, and a client that logs in and out behind it again and
         * again would otherwise keep the room of every superseded time it queued.
         */
        private void dropSuperseded(Queue<Queued> queue, boolean wholeQueue) {
            drop(queue, wholeQueue, superseded);
        }

        /**
         * Takes the operations no longer worth writing off a queue, from its front up to the first
         * that is (or all of them, with {@code wholeQueue}), and gives back their room; returns
         * how many it took.
         */
        private int drop(Queue<Queued> queue, boolean wholeQueue, java.util.function.Predicate<Commit> needless) {
            int n = 0;
            for (Iterator<Queued> it = queue.iterator(); it.hasNext(); ) {
                if (needless.test(it.next().op())) {
                    it.remove(); // the lane is the only consumer; producers only add at the tail
                    n++;
                } else if (!wholeQueue) {
                    break;
                }
            }
            if (n > 0) {
                room.release(n);
                unanswered.addAndGet(-n);
            }
            return n;
        }

        /**
         * Moves the due prefix of a queue into the batch (everything, when closing), up to
         * {@code group_commit_max_batch} operations and {@code group_commit_max_batch_bytes} of
         * message bodies and group events' names ({@link loomchat.store.InboxEntry#weight}): a
         * transaction of four thousand of the largest messages would hold a quarter of a gigabyte
         * of encoded rows at once.
         *
         * @param early take it all, due or not
         * @param chars characters already in the batch
         * @return characters in the batch now
         */
        private long takeDue(Queue<Queued> queue, boolean early, long now, List<Commit> batch, long chars) {
            Queued q;
            while (batch.size() < maxBatch && chars < maxBatchChars
                    && (q = queue.peek()) != null && (closing || early || q.due() <= now)) {
                queue.poll();
                batch.add(q.op());
                if (q.op() instanceof Commit.WriteItem w) chars += w.entry().weight();
            }
            return chars;
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
            backoffNanos = Math.min(TimeUnit.SECONDS.toNanos(1),
                    Math.max(TimeUnit.MILLISECONDS.toNanos(10), backoffNanos * 2));
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
        // One row per sender and request id, the batch's last: a request id that left memory while
        // its first send was queued can come again as a new send in the same batch, and two inserts
        // of one key would fail the whole transaction, everyone else's sends with it.
        Map<List<String>, Commit.SendKey> keys = new LinkedHashMap<>();
        int deletes = 0;
        boolean rewrites = false;
        int lastSeenWritten = 0;
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try (PreparedStatement insertItem = c.prepareStatement(
                         "INSERT INTO inbox(user_name, seq, frame) VALUES (?,?,?)");
                 PreparedStatement dropKey = c.prepareStatement(
                         "DELETE FROM send_keys WHERE user_name = ? AND request_id = ?");
                 PreparedStatement insertKey = c.prepareStatement(
                         "INSERT INTO send_keys(user_name, request_id, msg, ts) VALUES (?,?,?,?)");
                 PreparedStatement dropItem = c.prepareStatement(
                         "DELETE FROM inbox WHERE user_name = ? AND seq = ?");
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
                            if (w.entry().rewrite) {
                                dropItem.setString(1, w.user());
                                dropItem.setLong(2, w.entry().seq());
                                dropItem.addBatch();
                                rewrites = true;
                            }
                            insertItem.setString(1, w.user());
                            insertItem.setLong(2, w.entry().seq());
                            insertItem.setString(3, frameText(w));
                            insertItem.addBatch();
                            if (w.sendKey() != null) keys.put(keyOf(w.sendKey()), w.sendKey());
                        }
                        case Commit.SaveSendKey k -> keys.put(keyOf(k.key()), k.key());
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
                        case Commit.SaveLastSeen s when !store.isLatestLastSeen(s.user(), s.lastSeen()) -> {
                            // Back online, or gone again since (a newer time is queued): this one
                            // would only be overwritten. In a reconnect storm this skips nearly all.
                            // (A crash meanwhile leaves an older last_seen, as it would anyway.)
                        }
                        case Commit.SaveLastSeen s -> {
                            lastSeenWritten++;
                            lastSeen.setLong(1, s.lastSeen());
                            lastSeen.setString(2, s.user());
                            lastSeen.addBatch();
                        }
                    }
                }
                // Inserts before deletes: an item written and acknowledged within one batch is
                // inserted, then deleted, never the other way round.
                if (rewrites) dropItem.executeBatch();
                if (!written.isEmpty()) insertItem.executeBatch();
                if (!keys.isEmpty()) {
                    for (Commit.SendKey k : keys.values()) addKey(dropKey, insertKey, k);
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
            answerFailure(batch, skipped, e);
            return e;
        }
        // Counted before anyone is answered: whoever sees an ok sees the metrics that include it.
        recordCommit(batch.size(), written.size(), skipped.size(), deletes, lastSeenWritten, started);
        answerSuccess(batch, reserves);
        return null;
    }

    /** Whether an item is the server's own (a receipt, a group event) rather than a client's message. */
    private static boolean isNotice(Commit.WriteItem w) {
        return !(w.entry().item() instanceof ServerFrame.Msg);
    }

    /**
     * Answers a batch whose transaction failed. An item acknowledged before the batch got to it is
     * safe; a receipt or a group event is still delivered, and written again later (unless the
     * lanes are closing: then it is delivered from memory only); every other
     * item will not be delivered, and its sender is told, as is a send key's.
     *
     * @param skipped the items found acknowledged (so never written) before the failure
     */
    private void answerFailure(List<Commit> batch, List<Commit.WriteItem> skipped, Exception failure) {
        // The failure may have come before every operation was looked at (a statement that
        // cannot even be prepared), so answer from the batch, not from what was sorted so far.
        // Reservations first: a sender told of the failure may send again at once, and that
        // send must see that the reservation is missing so that it asks for a new one.
        for (Commit op : batch) if (op instanceof Commit.ReserveSeq r) store.reservationFailed(r.user());
        Set<Commit.WriteItem> acked = new HashSet<>(skipped);
        for (Commit op : batch) {
            switch (op) {
                // Acked, whether before the failure was met or meanwhile: safe, not failed.
                case Commit.WriteItem w when acked.contains(w) || w.entry().acked() -> w.done().complete(null);
                case Commit.WriteItem w when isNotice(w) -> {
                    // A receipt or a group event: nobody was told it failed, so nobody will make it
                    // again. It stays deliverable, and the lane queues its write again (requeue), unless
                    // the lanes are closing.
                    w.entry().unclaim();
                    w.done().completeExceptionally(failure);
                }
                case Commit.WriteItem w -> {
                    w.entry().markFailed();
                    store.writeFailed(w.user(), w.entry());
                    w.done().completeExceptionally(failure);
                }
                case Commit.SaveSendKey k -> k.done().completeExceptionally(failure);
                default -> {
                    // deletes are queued again by the lane; last-seen updates are retried by
                    // nothing: at worst last_seen is a little old
                }
            }
        }
    }

    /** Counts a committed batch in the metrics; {@code started} is when its commit began. */
    private void recordCommit(int ops, int written, int skipped, int deletes, int lastSeenWritten, long started) {
        long micros = (System.nanoTime() - started) / 1000;
        metrics.itemsWritten.add(written);
        metrics.itemsSkipped.add(skipped);
        metrics.itemsDeleted.add(deletes);
        metrics.lastSeenWritten.add(lastSeenWritten);
        metrics.commitBatches.increment();
        metrics.commitOps.add(ops);
        metrics.commitNanos.add(micros * 1000);
        metrics.commitBatchSize.record(ops);
        metrics.commitLatencyMicros.record(micros);
    }

    /** Answers a committed batch: its seq reservations are durable, its items and send keys safe. */
    private void answerSuccess(List<Commit> batch, List<Commit.ReserveSeq> reserves) {
        for (Commit.ReserveSeq r : reserves) store.reserved(r.user(), r.upTo()); // items may be pushed now
        // In queue order, written and skipped alike: the sender's oks must come in the order its
        // messages were queued, which is the order the recipient receives them.
        for (Commit op : batch) {
            if (op instanceof Commit.WriteItem w) {
                w.entry().markWritten(); // no effect on a skipped entry
                w.done().complete(null);
            } else if (op instanceof Commit.SaveSendKey k) {
                k.done().complete(null);
            }
        }
    }

    /** A send key's identity in the table: its sender and request id. */
    private static List<String> keyOf(Commit.SendKey k) {
        return List.of(k.sender(), k.requestId());
    }

    /** Replaces the sender's row for the key's request id (a retry may have written one before). */
    private static void addKey(PreparedStatement dropKey, PreparedStatement insertKey, Commit.SendKey k)
            throws SQLException {
        dropKey.setString(1, k.sender());
        dropKey.setString(2, k.requestId());
        dropKey.addBatch();
        insertKey.setString(1, k.sender());
        insertKey.setString(2, k.requestId());
        insertKey.setString(3, k.msg());
        insertKey.setLong(4, k.ts());
        insertKey.addBatch();
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
