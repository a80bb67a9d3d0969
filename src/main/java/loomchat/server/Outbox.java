package loomchat.server;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import loomchat.protocol.EncodedFrame;
import loomchat.protocol.FrameCodec;
import loomchat.protocol.ServerFrame;
import loomchat.store.Endpoint;

/**
 * Everything one connection sends, written by a writer thread of its own so that no other
 * user's thread ever blocks on this socket.
 *
 * <p>Two sources feed the writer. Replies and transient notices wait in a small queue, bounded
 * in frames ({@code outbox_capacity}) and in bytes ({@link #MAX_BYTES}; a reply to {@code groups}
 * or {@code group_info} can be a hundred kilobytes). Past half the frames, or an eighth of the
 * bytes, notices are dropped and the connection stops reading requests until the writer has
 * made room; when a client stops reading so that even its replies pass a bound, the connection
 * is cut (its inbox still holds everything that matters). Inbox items are not queued here at
 * all: the writer pulls them from the store when woken, so a backlog of ten thousand items costs
 * no more here than one. Queued frames go first, so a reply is never stuck behind a backlog.
 *
 * <p>The writer is a virtual thread started when there is something to write and ended when
 * there is not: an idle connection holds neither a thread nor a buffer. It gathers frames into
 * a {@link Burst} and writes only when it has nothing more to gather (or 8 KiB), so a burst goes
 * out in one system call.
 */
final class Outbox implements Endpoint {
    private static final System.Logger LOG = System.getLogger(Outbox.class.getName());
    private static final int PULL_BATCH = 64;
    /** The side that reads the connection's requests, and owes their replies. */
    interface Requests {
        /** Waits, for a bounded time, until every send and group request dispatched so far has its reply queued here. */
        void awaitOwedReplies();
    }
    /**
     * The most bytes of replies and notices queued for one connection. Room is wanted below an
     * eighth of it ({@link #ROOM_BYTES}), and the largest reply (a {@code groups} list of 1,000
     * long names, about 150 KB) fits above that eighth many times over, so a client that reads,
     * however slowly, is never cut.
     */
    static final int MAX_BYTES = 4 << 20;
    private static final int ROOM_BYTES = 512 << 10;

    /** The TCP socket: what a cut closes. */
    private final Socket raw;
    /** What frames are written to: {@link #raw}, or TLS over it. */
    private final Socket socket;
    /** The codec, the store, the metrics and the queue's capacity, through the one reference each connection holds. */
    private final Services services;
    private final Requests requests;

    private final ReentrantLock lock = new ReentrantLock();
    /**
     * Signalled when the queue has room again (the reader may go on), when the writer stops, and
     * at a close. One condition for both kinds of waiter, who each check what they wait for: at
     * most one or two threads ever wait here, and a second condition would be 20 bytes more in
     * every connection.
     */
    private final Condition changed = lock.newCondition();
    private ArrayDeque<byte[]> queue;  // made on first use
    private int queuedBytes;           // the bytes of the frames in the queue
    private boolean writing;           // a writer thread is running
    private boolean woken;             // the inbox may have items since the writer last looked
    private boolean closing;           // write what is queued, then close the socket
    private volatile boolean replacing; // taken over: owed replies still go out, then the close (replaced()); set under the lock
    private boolean closed;
    private Thread writer;             // the writer thread while it writes: a close meanwhile cuts the socket under it
    private boolean closingSocket;     // a close of the socket has begun (closeAsCloser)
    private volatile String user;      // set once the login reply is queued: the inbox opens
    private String loginOwed;          // a login's id from its attach until its ok is queued
    private volatile long blockedSince; // nanoTime when the current socket write or close began; 0 when none (blocked())

    /**
     * @param raw the TCP socket
     * @param socket what frames are written to: {@code raw}, or TLS over it
     */
    Outbox(Socket raw, Socket socket, Services services, Requests requests) {
        this.raw = raw;
        this.socket = socket;
        this.services = services;
        this.requests = requests;
    }

    /**
     * Queues a reply or, if {@code droppable}, a transient notice. Notices may fill only half the
     * queue, so they can never crowd out replies; past that they are dropped. A full queue means
     * the client has stopped reading its own replies: it is cut off.
     */
    private boolean enqueue(ServerFrame frame, byte[] bytes, boolean droppable, boolean last) {
        boolean cut = false;
        Thread stuck = null;
        lock.lock();
        try {
            if (closing || closed) return false;
            if (queue == null) queue = new ArrayDeque<>(4);
            // A notice offered between a login's attach and its ok is dropped: if a newer login
            // replaced this one in between, it would reach a client that never got an ok. Once
            // replaced, the connection only answers what it owes.
            if (droppable && (loginOwed != null || replacing || !hasRoom())) {
                services.metrics().outboxDrops.increment();
                return false;
            }
            // One frame always fits an empty queue, however large (a group_info of a huge group).
            if (queue.size() < services.config().outboxCapacity() && (queue.isEmpty() || queuedBytes <= MAX_BYTES - bytes.length)) {
                queue.add(bytes);
                queuedBytes += bytes.length;
                // Counted before the writer can send it: whoever has seen the frame sees the count.
                services.metrics().frameOut(FrameCodec.wireType(frame));
                if (last) {
                    closing = true; // in the same step: no other reply can come after this one
                    changed.signalAll();
                }
                startWriter();
            } else {
                // The client is not reading. Cut it rather than let it grow our memory.
                services.metrics().outboxDrops.increment();
                services.metrics().slowClientsCut.increment();
                // DEBUG: any client can make one a connection; slowClientsCut counts them.
                LOG.log(System.Logger.Level.DEBUG, "{0}: outbound queue full, disconnecting", name());
                stuck = markClosed();
                cut = true;
            }
        } finally {
            lock.unlock();
        }
        if (cut) {
            closeSocket(stuck);
            return false;
        }
        return true;
    }

    /**
     * Writes the connection's first frame on the caller's thread. Only for the welcome, before
     * anything else can be queued: a fresh socket's buffer is empty, so the write does not
     * block, and no writer thread is started for it (one fewer per connection in a reconnect storm).
     */
    void greet(ServerFrame frame) throws IOException {
        services.metrics().frameOut(FrameCodec.wireType(frame));
        socket.getOutputStream().write(services.codec().encode(frame));
    }

    /**
     * Queues the login reply and starts pushing inbox items of {@code user}, in one step, so that
     * one writer run writes the reply first and then whatever the inbox holds.
     */
    void openInbox(String user, ServerFrame loginReply) {
        byte[] bytes = services.codec().encode(loginReply);
        lock.lock();
        try {
            // A newer login that took the session over meanwhile has answered this one (replaced).
            if (closing || closed || loginOwed == null) return;
            loginOwed = null;
            if (queue == null) queue = new ArrayDeque<>(4);
            queue.addFirst(bytes); // ahead of a notice (typing, say) offered since the attach
            queuedBytes += bytes.length;
            services.metrics().frameOut(FrameCodec.wireType(loginReply)); // before the writer can send it
            this.user = user;
            woken = true;
            startWriter();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void wake() {
        lock.lock();
        try {
            if (closing || closed) return;
            woken = true;
            startWriter();
        } finally {
            lock.unlock();
        }
    }

    /** Queues a reply (or an error that closes the connection); dropped only if it is closing or cut. */
    @Override
    public void reply(ServerFrame frame) {
        enqueue(frame, services.codec().encode(frame), false, false);
    }

    /** Queues {@code last} as the connection's last frame, then writes what is queued and closes the socket. */
    void finishWith(ServerFrame last) {
        enqueue(last, services.codec().encode(last), false, true);
    }

    @Override
    public boolean offer(ServerFrame frame) {
        return enqueue(frame, services.codec().encode(frame), true, false); // encoded before the lock is taken
    }

    @Override
    public boolean offer(EncodedFrame notice) {
        return enqueue(notice.frame(), notice.line(), true, false);
    }

    /**
     * The login {@code id} is about to attach its session; until {@link #openInbox} queues its ok,
     * a newer login that takes the session over answers it ({@link #replaced}).
     */
    void loginAttaching(String id) {
        lock.lock();
        try {
            loginOwed = id;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Tells the client that a newer login took its session over, and closes. From now on the
     * connection takes no request and no notice, but the replies it still owes (sends and group
     * requests read before) go out first, so that each request is answered exactly once; the
     * error is the last frame. A login still owed its ok gets the error as its reply, with its id.
     */
    @Override
    public void replaced() {
        String owedLogin;
        lock.lock();
        try {
            if (closing || closed || replacing) return;
            replacing = true;
            changed.signalAll(); // whoever waits for room stops: no request is taken any more
            owedLogin = loginOwed;
            loginOwed = null;
        } finally {
            lock.unlock();
        }
        if (owedLogin != null) {
            endReplaced(owedLogin); // nothing else can be owed before a login's ok
            return;
        }
        // Waited for on a thread of its own: this one is the newer login's, which must not wait.
        Thread.ofVirtual().name(name() + "-replaced").start(() -> {
            requests.awaitOwedReplies();
            endReplaced(null);
        });
    }

    private void endReplaced(String owedLogin) {
        finishWith(new ServerFrame.Error(owedLogin, loomchat.protocol.ErrorCode.SESSION_REPLACED, owedLogin == null
                ? "you logged in elsewhere; this connection is closed"
                : "another login of this user took the session over before this one completed"));
    }

    /**
     * True once a newer login has taken the session over. Read without the lock by the reader
     * after it takes a place in flight: the takeover's wait for owed replies takes every place
     * after setting this, so a reader that got a place after that wait sees it, and one that got
     * its place before is waited for.
     */
    boolean isReplaced() {
        return replacing;
    }

    /**
     * Blocks the caller (the connection's reader, or its group operations' thread) while the queue
     * has half its frames or an eighth of its bytes ({@link #ROOM_BYTES}), so that a client that
     * sends requests without reading the replies stalls itself (TCP pushes back on it) instead of
     * growing our memory. Returns at once when there is room, or the connection is closing or replaced.
     *
     * @return false if the connection is closing or replaced: what waited here is not to be dispatched
     */
    boolean awaitRoom() {
        lock.lock();
        try {
            if (!hasRoom() && takesRequests()) {
                services.metrics().waitingForRoom.increment();
                try {
                    while (!hasRoom() && takesRequests()) changed.await();
                } finally {
                    services.metrics().waitingForRoom.decrement();
                }
            }
            return takesRequests();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Writes what is queued, then closes the socket; returns at once. */
    void finish() {
        lock.lock();
        try {
            if (closing || closed) return;
            closing = true;
            changed.signalAll();
            startWriter();
        } finally {
            lock.unlock();
        }
    }

    /** True once the socket is being closed (not merely asked to close after a last write). */
    boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** True once no request read from now on is to be dispatched: closing, closed, or replaced. */
    boolean isClosing() {
        lock.lock();
        try {
            return !takesRequests();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock. */
    private boolean takesRequests() {
        return !closing && !closed && !replacing;
    }

    /**
     * Waits until the writer has written what is queued and, once replaced, until the replies
     * still owed then have gone out too and the connection is closing (or the time is up).
     */
    void awaitFlushed(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        lock.lock();
        try {
            while (writing || replacing && !closing && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !changed.await(left, TimeUnit.NANOSECONDS)) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Closes the socket now, dropping whatever is queued; a writer stuck on the socket is stopped. */
    void close() {
        Thread stuck;
        lock.lock();
        try {
            stuck = markClosed();
        } finally {
            lock.unlock();
        }
        closeSocket(stuck);
    }

    /** Under the lock: nothing more is queued or written. Returns the writer thread to stop, if one runs. */
    private Thread markClosed() {
        closed = true;
        changed.signalAll();
        queue = null;
        queuedBytes = 0;
        return writer;
    }

    /**
     * Closes the socket, never under the lock and never on a platform thread. Closing a TLS socket
     * writes a {@code close_notify}, and first waits for any write in progress; against a peer
     * that does not read, either can last forever. A thread closing under the lock would stall
     * everyone who queues to this connection, and the server's timer, which closes silent
     * connections, would stall every timeout of the server. So with a writer still running the
     * connection is cut ({@link #cut}: the TCP socket closed beneath, which ends that write at
     * once), a platform thread hands a polite close to a virtual thread, and that close is timed
     * like a write: the stall sweep cuts a close that a peer holds up ({@link #cutIfStalled}).
     * Only the first close does the work; the socket is closing or closed for any later one.
     */
    private void closeSocket(Thread stuck) {
        if (stuck != null && stuck != Thread.currentThread()) {
            cut();
        } else if (Thread.currentThread().isVirtual()) {
            closeAsCloser();
        } else {
            Thread.ofVirtual().name(name() + "-close").start(this::closeAsCloser);
        }
    }

    /** Closes the socket on this virtual thread, with {@link #blockedSince} set for the stall sweep. */
    private void closeAsCloser() {
        lock.lock();
        try {
            // A close under way is left to finish (a writer's polite close_notify, say): it is
            // timed, and the sweep cuts it if it sticks.
            if (closingSocket || socket.isClosed()) return;
            closingSocket = true;
        } finally {
            lock.unlock();
        }
        blocked();
        try {
            socket.close(); // also ends the reader, which is blocked in read()
        } catch (IOException ignored) {
            // closing a socket that is already broken
        } finally {
            unblocked();
        }
    }

    /**
     * Closes the TCP socket beneath everything: a write or a TLS close blocked on it fails at
     * once, and the close itself never waits on the client. No thread is interrupted: on JDK 25 a
     * virtual thread interrupted in a TLS write closes the socket from inside the write, which
     * writes a close_notify, which fails on the interrupt and closes again, until the stack
     * overflows and the writer dies with its connection still open.
     */
    private void cut() {
        try {
            raw.close();
        } catch (IOException ignored) {
            // closed either way
        }
    }

    /**
     * Marks a socket write or close as begun, for the stall sweep. A write and a polite close
     * never overlap, so one mark is enough: a close with a writer running cuts instead
     * ({@link #closeSocket}), and the writer's own close comes after its last write.
     */
    private void blocked() {
        blockedSince = System.nanoTime() | 1; // never 0, which means "not blocked"
    }

    private void unblocked() {
        blockedSince = 0;
    }

    /**
     * Cuts the connection if a write to its socket, or its close, has been blocked for longer
     * than {@code limitNanos}: the client stopped reading and its TCP window is full. Checked by
     * the server's timer, on which nothing here waits. True if it cut.
     */
    boolean cutIfStalled(long limitNanos, long nowNanos) {
        long since = blockedSince;
        if (since == 0 || nowNanos - since <= limitNanos) return false;
        lock.lock();
        try {
            markClosed();
        } finally {
            lock.unlock();
        }
        cut(); // a stuck write, or a TLS close held up by its close_notify: either ends now
        return true;
    }

    private void startWriter() {
        if (writing || closed) return;
        writing = true;
        writer = Thread.ofVirtual().name(name() + "-writer").start(this::write);
    }

    /** The writer: runs while there is something to write. */
    private void write() {
        List<ServerFrame.InboxItem> items = new ArrayList<>();
        try {
            Burst out = new Burst(new StallWatch(socket.getOutputStream()));
            while (true) {
                byte[] frame = nextQueued();
                if (frame != null) {
                    out.add(frame);
                    continue;
                }
                String u = user;
                if (u != null) {
                    items.clear();
                    services.store().pull(u, this, PULL_BATCH, items);
                    if (!items.isEmpty()) {
                        for (ServerFrame.InboxItem item : items) {
                            services.metrics().frameOut(FrameCodec.wireType(item)); // counted before it can be sent
                            out.add(services.codec().encode(item));
                        }
                        continue;
                    }
                }
                out.flush();
                switch (stopIfDone()) {
                    case GO_ON -> {
                    }
                    case STOPPED -> {
                        return;
                    }
                    case CLOSE -> {
                        closeAsWriter(); // finish(): everything is written
                        return;
                    }
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: write failed: {1}", name(), e.toString());
            lock.lock();
            try {
                markClosed();
                writing = false;
                writer = null; // done writing: see closeAsWriter
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            closeAsWriter();
        }
    }

    /**
     * The writer, done writing, closes the socket itself, politely (a TLS close writes its
     * {@code close_notify}). It stopped being the {@link #writer} in the same step that marked the
     * outbox closed: a close from elsewhere meanwhile (the connection's own end, a timeout,
     * shutdown) then finds no write to cut and leaves this close to finish, which is timed, so
     * that the sweep cuts it if the peer holds it up.
     */
    private void closeAsWriter() {
        closeSocket(null);
    }

    /** Under the lock: below half the frames and {@link #ROOM_BYTES}, where notices are taken and the reader reads. */
    private boolean hasRoom() {
        return queue == null || (queue.size() < services.config().outboxCapacity() / 2 && queuedBytes < ROOM_BYTES);
    }

    private byte[] nextQueued() {
        lock.lock();
        try {
            if (queue == null) return null;
            boolean full = !hasRoom();
            byte[] next = queue.poll();
            if (next == null) return null;
            queuedBytes -= next.length;
            if (full && hasRoom()) changed.signalAll();
            return next;
        } finally {
            lock.unlock();
        }
    }

    /** What the writer does once it has written all it found. */
    private enum Next { GO_ON, STOPPED, CLOSE }

    /**
     * Ends the writer if nothing arrived since it last looked, and tells it to close the socket if
     * asked to. Decided under the lock in one step: a close from elsewhere just after an idle stop
     * belongs to whoever closes next, not to this writer, which is no longer {@link #writer}.
     */
    private Next stopIfDone() {
        lock.lock();
        try {
            if (queue != null && !queue.isEmpty()) return Next.GO_ON;
            if (woken && !closing && !closed) {
                woken = false;
                return Next.GO_ON; // look at the inbox once more
            }
            if (queue != null) queue = null; // drop the empty queue's array while idle
            writing = false;
            changed.signalAll();
            if (closing) {
                markClosed(); // the writer closes the socket next (closeAsWriter), as a writer no more
                writer = null;
                return Next.CLOSE;
            }
            writer = null;
            return Next.STOPPED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Marks when a socket write starts and ends, for the stall sweep. Only {@link Burst}'s writes
     * reach it, one per burst rather than per frame, so this costs two volatile writes per system call.
     */
    private final class StallWatch extends java.io.FilterOutputStream {
        StallWatch(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            blocked();
            try {
                out.write(b, off, len);
            } finally {
                unblocked();
            }
        }
    }

    /**
     * For thread names and log lines: the user once logged in, else the peer's address. Made when
     * needed rather than kept: a kept name is a string per connection, and a million connections
     * make that tens of megabytes.
     */
    private String name() {
        String u = user;
        return u != null ? "conn-" + u : "conn-" + socket.getRemoteSocketAddress();
    }
}
