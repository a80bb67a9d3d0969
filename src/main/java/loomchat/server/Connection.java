package loomchat.server;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import loomchat.chat.Authenticator;
import loomchat.chat.ClientAddress;
import loomchat.chat.Router;
import loomchat.protocol.ClientFrame;
import loomchat.protocol.ClientFrame.*;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.FrameCodec;
import loomchat.protocol.LineReader;
import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;
import loomchat.store.ChatStore;

/**
 * One client connection, from accept to close, on its own virtual thread.
 *
 * <p>{@link #run()} is the whole life: welcome, a blocking read loop, dispatch of each frame,
 * and a {@code finally} that always ends the session and gives the connection slot back.
 * Reads block the virtual thread, which costs nothing while the client is quiet; writes go
 * through the {@link Outbox} and never block this thread on another socket.
 */
final class Connection implements Runnable, Outbox.Requests, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    /** What the latest send and group operation are before there is one: done, shared, and only waited on. */
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    /**
     * The longest an end of the connection (a logout, the end of the client's stream, a close by
     * the server) waits for replies still owed: more than the slowest of them, a group send that
     * waits its 5 s for room in the commit queue.
     */
    private static final long OWED_REPLIES_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How long the end of a connection waits for its last frames to be written: the owed replies' wait, and 2 s more. */
    private static final long LAST_FLUSH_MILLIS = TimeUnit.NANOSECONDS.toMillis(OWED_REPLIES_WAIT_NANOS) + 2000;
    /** How long a login waits for earlier replies to be written (a client that does not read them, no longer). */
    private static final long LOGIN_FLUSH_MILLIS = 2000;
    private static final long OWED_REPLIES_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How many bytes of lines the reader handles before it lets other virtual threads have its carrier. */
    private static final int YIELD_EVERY_BYTES = 64 << 10;

    private final Socket socket;
    private final Services services;
    private volatile Outbox outbox; // read by the server's stall check
    private int badFrames;
    /**
     * How many sends and group requests may await their replies at once; made at login. A place
     * is taken when the request is read and given back once its reply is queued.
     */
    private Semaphore inFlight;
    private int inFlightLimit;
    /** The reply to the latest send, sent or not; touched only by this connection's thread. */
    private CompletableFuture<Void> lastSendReply = DONE;
    /**
     * Done when this connection's latest group operation (a group send, or a membership change)
     * has done its work; touched only by this connection's thread.
     */
    private CompletableFuture<Void> lastGroupOp = DONE;
    /** The users this connection watches; touched only by this connection's thread. */
    private Set<String> watching;

    /** When the connection was accepted: the sweep closes it if it has not logged in within {@code login_timeout}. */
    private final long openedNanos = System.nanoTime();
    /**
     * When the client last sent a line, once it has logged in (0 before): the idle sweep reads it.
     * A sweep rather than a read timeout, because a timed read arms and cancels a timer in the
     * virtual-thread scheduler on every read that has to wait, and most reads do.
     */
    private volatile long lastHeardNanos;

    // Set by a successful login, on this connection's thread. The sweep (another thread) also reads
    // user, racily, but only to name the connection in a log line.
    private String user;
    private byte[] tokenHash;
    /**
     * The client's address key while this connection counts against {@code anonymous_per_address}
     * (from accept to login), null after; read only by this connection's thread once it runs.
     */
    private String anonymousAddress;

    /** @param address the client's {@link loomchat.chat.ClientAddress} key, already counted as anonymous */
    Connection(Socket socket, Services services, String address) {
        this.socket = socket;
        this.services = services;
        this.anonymousAddress = address;
    }

    @Override
    public void run() {
        services.metrics().connectionsOpened.increment();
        // Closed in reverse order: first this connection, through its outbox, where the close is
        // timed by the stall sweep (a TLS close writes a close_notify, which a client not reading
        // holds up), then the socket and the TCP socket beneath it, by then no-ops.
        try (Socket raw = socket; Socket s = services.secure(raw); Connection self = this) {
            raw.setTcpNoDelay(true);
            // Bytes already in the kernel are ahead of any reply: left to autotuning, the send buffer
            // of a fast link grows to megabytes of backlog (and of kernel memory per connection).
            int sendBuffer = services.config().socketSendBuffer();
            if (sendBuffer > 0) raw.setSendBufferSize(sendBuffer);
            outbox = new Outbox(raw, s, services, this);
            outbox.greet(new ServerFrame.Welcome(services.config().serverName(), 1, services.config().maxFrameBytes()));
            readLoop(new LineReader(s.getInputStream(), services.config().maxFrameBytes()));
            // Let the last replies reach the client: a logout's ok, a closing error, and after a
            // takeover the replies still owed (a client that stops reading is cut by the stall sweep).
            outbox.awaitFlushed(LAST_FLUSH_MILLIS);
        } catch (SocketException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: {1}", name(), e.getMessage()); // peer reset, or closed by us
        } catch (javax.net.ssl.SSLException e) {
            // Most often plain TCP to the TLS port, or a failed handshake: anyone can make one a
            // connection, so one a connection at the default level would be a lever to flood the log.
            LOG.log(System.Logger.Level.DEBUG, "{0}: TLS failed: {1}", name(), e.toString());
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: connection failed: {1}", name(), e.toString());
        } finally {
            if (watching != null) services.presence().unsubscribeAll(watching, outbox);
            endSession();
            leaveAnonymous();
            services.connectionClosed(this);
            services.metrics().connectionsClosed.increment();
        }
    }

    /** Cuts the connection if its client has not taken our bytes for too long; true if it was cut. */
    boolean cutIfStalled(long limitNanos, long nowNanos) {
        Outbox o = outbox;
        // A connection finishing can stall too: on its last write (an error, a logout's ok), or
        // on a TLS close's close_notify, written after the outbox is closed.
        if (o == null || !o.cutIfStalled(limitNanos, nowNanos)) return false;
        // DEBUG: any client can make one a connection; slowClientsCut counts them.
        LOG.log(System.Logger.Level.DEBUG, "{0}: not reading for too long, disconnecting", name());
        services.metrics().slowClientsCut.increment();
        return true;
    }

    /**
     * Closes the connection if it has not logged in within {@code loginLimitNanos} of being
     * accepted (however busily it sends bytes), or if, logged in, it has sent nothing for
     * {@code idleLimitNanos}; true if it did.
     */
    boolean closeIfSilent(long idleLimitNanos, long loginLimitNanos, long nowNanos) {
        long heard = lastHeardNanos;
        if (heard == 0) {
            if (nowNanos - openedNanos <= loginLimitNanos) return false;
            LOG.log(System.Logger.Level.DEBUG, "{0}: closed after the login timeout", name());
        } else {
            if (nowNanos - heard <= idleLimitNanos) return false;
            LOG.log(System.Logger.Level.DEBUG, "{0}: closed after the idle timeout", name());
        }
        close();
        return true;
    }

    /** Stops counting this connection against its address's anonymous connections, once: at login, or at the end. */
    private void leaveAnonymous() {
        if (anonymousAddress == null) return;
        services.leftAnonymous(anonymousAddress);
        anonymousAddress = null;
    }

    /** Takes the user's session off this connection, once: at logout, or when the connection ends. */
    private void endSession() {
        if (user == null) return;
        services.sessionEnded(user, outbox);
        user = null;
    }

    /**
     * Ends the connection from outside, politely (shutdown): nothing more is read or dispatched,
     * what is queued is written, then the socket is closed, which ends the read loop.
     */
    void finish() {
        Outbox o = outbox;
        if (o != null) o.finish();
        else close();
    }

    /**
     * Closes the connection: from outside (a timeout, shutdown), when the read loop ends with an
     * exception, or at the end of {@link #run}. Through the outbox once there is one, which stops
     * a writer stuck on the socket first and times the close (a TLS close can wait on its peer).
     */
    @Override
    public void close() {
        Outbox o = outbox;
        if (o != null) {
            o.close();
            return;
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    private void readLoop(LineReader lines) throws IOException {
        int bytesSinceYield = 0;
        while (true) {
            // A client whose bytes never run out never blocks in read(), and a virtual thread that
            // never blocks keeps its carrier: two such clients held both carriers of this box, and
            // other connections' replies waited 0.2 s on average (scripts/flood). So the reader
            // gives its carrier up every 64 KiB: a timed park of a microsecond, since
            // Thread.yield() let a waiting thread be passed over for seconds. A park every 32 lines
            // cost relay a tenth of its throughput (docs/performance.md, item 73).
            if (bytesSinceYield >= YIELD_EVERY_BYTES) {
                bytesSinceYield = 0;
                java.util.concurrent.locks.LockSupport.parkNanos(1_000);
            }
            LineReader.Line line = lines.next();
            bytesSinceYield += lines.length() + 1;
            // Checked after the read, which may have waited long: a line read once the connection
            // is finishing (replaced, shutting down) is not dispatched, since its reply might not
            // be sent.
            if (outbox.isClosing()) return;
            if (user != null) lastHeardNanos = System.nanoTime(); // any line, a blank keep-alive too
            switch (line) {
                case EOF -> {
                    // The client sends nothing more, acks included: offline now, answers still owed.
                    endSession();
                    awaitOwedReplies();
                    return;
                }
                case BLANK -> {
                    // a keep-alive: nothing to answer
                }
                case TOO_LONG -> {
                    end(new ServerFrame.Error(null, ErrorCode.FRAME_TOO_LARGE,
                            "frames are at most " + services.config().maxFrameBytes() + " bytes; closing"));
                    return;
                }
                case FRAME -> {
                    ClientFrame frame;
                    try {
                        frame = services.codec().decodeClient(lines.buffer(), lines.offset(), lines.length());
                    } catch (ProtocolException e) {
                        services.metrics().badFrames.increment();
                        reply(e.toFrame());
                        // Only what is not a frame at all counts: a user retrying a register with
                        // too short a password (invalid) is not talking garbage.
                        boolean malformed = e.code() == ErrorCode.BAD_FRAME || e.code() == ErrorCode.UNKNOWN_TYPE;
                        if (malformed && ++badFrames >= services.config().maxBadFrames()) {
                            end(new ServerFrame.Error(null, ErrorCode.BAD_FRAME, "too many bad frames; closing"));
                            return;
                        }
                        continue;
                    }
                    services.metrics().frameIn(FrameCodec.wireType(frame));
                    // Every request owes a reply: wait for room for it, unless the connection closes meanwhile.
                    if (frame instanceof Request && !outbox.awaitRoom()) return;
                    try {
                        dispatch(frame);
                    } catch (ProtocolException e) {
                        reply(e.toFrame());
                    }
                }
            }
        }
    }

    private void dispatch(ClientFrame frame) throws ProtocolException {
        switch (frame) {
            case Ping p -> reply(new ServerFrame.Pong(p.id()));
            case Register r -> {
                requireAnonymous(r.id());
                services.auth().register(r.id(), r.user(), r.password(), address());
                services.metrics().registrations.increment();
                reply(new ServerFrame.Ok(r.id()));
            }
            case Login l -> login(l);
            case Request r when user == null -> throw notAuthenticated(r.id());
            case ClientFrame f when user == null -> throw notAuthenticated(null);
            case Logout l -> logout(l);
            case Send s -> send(s);
            case Ack a -> services.router().ack(user, outbox, a.seq());
            case Read r -> services.router().read(user, r.msg());
            case Subscribe s -> subscribe(s);
            case Unsubscribe u -> {
                services.presence().unsubscribe(u.id(), u.user(), outbox);
                if (watching != null) watching.remove(u.user());
                reply(new ServerFrame.Ok(u.id()));
            }
            case Typing t -> services.presence().typing(user, t);
            case GroupCreate g -> groupRequest(g.id(), by -> services.groups().create(by, g));
            case GroupAdd g -> groupRequest(g.id(), by -> services.groups().add(by, g));
            case GroupRemove g -> groupRequest(g.id(), by -> services.groups().remove(by, g));
            case GroupLeave g -> groupRequest(g.id(), by -> services.groups().leave(by, g));
            case GroupInfoRequest g -> groupRequest(g.id(),
                    by -> CompletableFuture.completedFuture(services.groups().info(by, g)));
            case GroupsRequest g -> groupRequest(g.id(),
                    by -> CompletableFuture.completedFuture(services.groups().list(by, g)));
        }
    }

    /** Ends the session at the client's request: the logout's ok is the last reply the client gets. */
    private void logout(Logout l) throws ProtocolException {
        services.auth().revoke(l.id(), tokenHash);
        end(new ServerFrame.Ok(l.id()));
    }

    /**
     * Ends the connection from its own thread (a logout, a frame too large, too many bad frames)
     * with {@code last} as its last frame. Replies still owed (sends and group requests read
     * before) go out first, so that no request read is left unanswered.
     */
    private void end(ServerFrame last) {
        // Offline at once, before the owed replies: once the client has its answer (or sees the
        // close that follows it), its watchers and any new connection see it gone.
        endSession();
        awaitOwedReplies();
        outbox.finishWith(last);
    }

    /** Sends a message; its reply comes once the message is safe, in the order the sends were read. */
    private void send(Send s) throws ProtocolException {
        if (!withinRate(s)) {
            throw new ProtocolException(ErrorCode.RATE_LIMITED, s.id(), "sending too fast; slow down");
        }
        // Back-pressure: past this many unanswered sends, stop reading until oks go out.
        // That bounds the replies this connection can owe, and so its outbound queue.
        if (!takeInFlightPlace()) return;
        CompletableFuture<ServerFrame.Reply> reply = s.group() == null
                ? services.router().send(user, s)
                : sendToGroup(s);
        // Replies in request order: a reply's future completes on whichever thread made the
        // message safe (a commit lane, or the recipient's ack), so two sends to one recipient
        // could otherwise get their oks in the opposite order of their delivery.
        lastSendReply = lastSendReply.thenCombine(reply, (previous, r) -> r)
                .exceptionally(e -> {
                    LOG.log(System.Logger.Level.WARNING, "a send failed", e);
                    return Router.errorReply(s.id(), e);
                })
                .thenAccept(this::answer);
    }

    /**
     * Queues a reply the connection owed (to a send or a group request), then gives back its
     * request's place in {@link #inFlight}: in that order, so that all places free means every
     * owed reply is queued ({@link #awaitOwedReplies}).
     */
    private void answer(ServerFrame.Reply reply) {
        reply(reply);
        inFlight.release();
    }

    /**
     * Waits until every send and group request read so far has its reply queued, at most
     * {@link #OWED_REPLIES_WAIT_NANOS}: before a connection's last frame ({@link #end}), at the
     * end of the client's stream (a script that writes its requests and then closes its sending
     * side still reads the answers), and after a newer login took the session over (called then
     * from the outbox's thread for it; {@link #inFlight} was set before the session was attached,
     * which that login saw). The session has ended by then: a send's ok may wait for its
     * recipient's ack, up to {@code ack_grace}, and the user is not shown online meanwhile.
     * Returns early once the socket is closed from outside (a stall cut, a timeout, the end of a
     * shutdown).
     */
    @Override
    public void awaitOwedReplies() {
        if (inFlight == null) return; // never logged in: every reply was made on this thread
        long deadline = System.nanoTime() + OWED_REPLIES_WAIT_NANOS;
        try {
            while (!outbox.isClosed()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return;
                // Polled in slices, so that a close from outside ends the wait soon.
                long slice = Math.min(left, OWED_REPLIES_SLICE_NANOS);
                if (inFlight.tryAcquire(inFlightLimit, slice, TimeUnit.NANOSECONDS)) {
                    inFlight.release(inFlightLimit);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Charges a send one token of the user's {@code send_rate} (a group send pays the rest of its
     * cost when it fans out, from the members it reaches: {@code Router}). A retry of an accepted
     * send gets its first answer even when the rate is used up (the client cannot tell a refused
     * retry from a message never sent); it is looked up only if refused, sparing every message
     * the lookup.
     */
    private boolean withinRate(Send s) {
        return services.store().allow(user, ChatStore.Budget.SEND, services.config().sendRate(),
                services.config().sendBurst(), System.nanoTime())
                || services.store().knowsSend(user, s.id(), System.currentTimeMillis());
    }

    /**
     * Runs a group request other than a send {@linkplain #inGroupOrder in group order}. It counts
     * as a request in flight, like a send: each waits on a thread of its own, and without the
     * bound a client could start them faster than they finish.
     */
    private void groupRequest(String requestId, GroupOp op) {
        if (!takeInFlightPlace()) return;
        inGroupOrder(requestId, op).thenAccept(this::answer);
    }

    /**
     * Takes a place among the requests in flight, waiting while the connection owes as many
     * replies as it may; false, taking nothing, if the connection begins to close meanwhile (a
     * shutdown, a newer login, a stall): the request is then not run, since its reply could not
     * be sent. Polled in slices, as a close does not release places.
     */
    private boolean takeInFlightPlace() {
        if (inFlight.tryAcquire()) {
            // The usual case. A newer login may have taken over since the reader last looked, and
            // its wait for owed replies may be over; it is seen here (isReplaced), so the request
            // is not run unanswered. Cheaper than isClosing(), which takes the outbox's lock.
            if (!outbox.isReplaced()) return true;
            inFlight.release();
            return false;
        }
        try {
            while (!inFlight.tryAcquire(OWED_REPLIES_SLICE_NANOS, TimeUnit.NANOSECONDS)) {
                if (outbox.isClosing()) return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        if (outbox.isClosing()) {
            inFlight.release();
            return false;
        }
        return true;
    }

    /** A group operation by {@code user}, run in {@link #inGroupOrder}: what it answers, possibly later. */
    private interface GroupOp {
        CompletableFuture<? extends ServerFrame.Reply> run(String user) throws ProtocolException;
    }

    /**
     * Runs a group operation on a virtual thread of its own, once this connection's previous
     * group operation has done its work, so that a client's group messages and membership
     * changes take effect in the order it sent them (a message sent right after an add reaches
     * the new member; a {@code group_info} after it shows them). A fan-out or a change may wait
     * up to 5 s for room in the commit queue, and this connection's reader must go on reading
     * meanwhile: among what it reads are the acks of the sender's own receipts, a thousand per
     * message in a large group, and those acks are what frees the room. Waiting on the reader
     * stalled a 1,024-member group until the receipts' ack_grace ran out (up to 1 s).
     *
     * @return the operation's reply, made an error reply if it failed
     */
    private CompletableFuture<ServerFrame.Reply> inGroupOrder(String requestId, GroupOp op) {
        CompletableFuture<Void> previous = lastGroupOp;
        CompletableFuture<Void> done = new CompletableFuture<>();
        CompletableFuture<ServerFrame.Reply> reply = new CompletableFuture<>();
        lastGroupOp = done;
        String by = user; // read here: the field is this connection's thread's alone
        services.groupOpStarted();
        Thread.ofVirtual().name("conn-" + by + "-group").start(() -> {
            previous.join(); // completed normally, always: see the finally below
            // Group replies can be large, and operations already read go on while the reader
            // waits, so each waits here too until the client has read enough of what it was sent.
            outbox.awaitRoom();
            try {
                op.run(by).whenComplete((r, e) -> reply.complete(e == null ? r : failed(requestId, e)));
            } catch (ProtocolException e) {
                reply.complete(e.toFrame());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "group operation failed", e);
                reply.complete(failed(requestId, e));
            } finally {
                done.complete(null);
                services.groupOpEnded();
            }
        });
        return reply;
    }

    /** The reply to a group request that failed: a refusal as itself, anything else as {@code internal}. */
    private static ServerFrame.Error failed(String requestId, Throwable error) {
        return ProtocolException.replyTo(requestId, error, "the request failed on the server; try again");
    }

    /** Sends to a group in group order ({@link #inGroupOrder}); the reply goes out in send order. */
    private CompletableFuture<ServerFrame.Reply> sendToGroup(Send s) {
        return inGroupOrder(s.id(), sender -> services.router().send(sender, s));
    }

    /** Watches a user, within {@code max_subscriptions} per connection; the ok and the first notice come from the watch. */
    private void subscribe(Subscribe s) throws ProtocolException {
        if (watching == null) watching = new HashSet<>();
        if (!watching.contains(s.user()) && watching.size() >= services.config().maxSubscriptions()) {
            throw new ProtocolException(ErrorCode.INVALID, s.id(),
                    "a connection may watch at most " + services.config().maxSubscriptions() + " users");
        }
        services.presence().subscribe(s.id(), s.user(), outbox);
        watching.add(s.user());
    }

    private void login(Login l) throws ProtocolException {
        requireAnonymous(l.id());
        Authenticator.LoggedIn in;
        try {
            in = l.password() != null
                    ? services.auth().loginWithPassword(l.id(), l.user(), l.password(), address())
                    : services.auth().loginWithToken(l.id(), l.user(), l.token(), address());
        } catch (ProtocolException e) {
            if (e.code() == ErrorCode.BAD_CREDENTIALS || e.code() == ErrorCode.RATE_LIMITED) {
                services.metrics().loginsFailed.increment();
            }
            throw e;
        }
        (in.byToken() ? services.metrics().loginsToken : services.metrics().loginsPassword).increment();
        user = in.user();
        tokenHash = in.tokenHash();
        leaveAnonymous();
        inFlightLimit = Math.max(1, services.config().outboxCapacity() / 2);
        inFlight = new Semaphore(inFlightLimit);
        lastHeardNanos = System.nanoTime(); // from now on the sweep watches for silence, not for the login
        Thread.currentThread().setName("conn-" + user);
        // Replies to what was read before this login (pings, say) go out ahead of its ok, which
        // openInbox puts first in the queue, before any notice offered once the session attaches.
        outbox.awaitFlushed(LOGIN_FLUSH_MILLIS);
        // Closed while the password was hashed (the login timeout, a stall): attaching now would
        // take the user's live session over for a connection that is gone.
        if (outbox.isClosing()) return;
        outbox.loginAttaching(l.id());
        ChatStore.Attached attached = services.store().attach(user, outbox);
        if (attached.previous() != null) attached.previous().replaced();
        outbox.openInbox(user, new ServerFrame.LoginOk(l.id(), in.token(), attached.pending())); // reply, then items
        services.sessionStarted(user);
    }

    private void requireAnonymous(String id) throws ProtocolException {
        if (user != null) throw new ProtocolException(ErrorCode.ALREADY_AUTHENTICATED, id, "already logged in");
    }

    private static ProtocolException notAuthenticated(String id) {
        return new ProtocolException(ErrorCode.NOT_AUTHENTICATED, id, "log in first");
    }

    private void reply(ServerFrame frame) {
        outbox.reply(frame);
    }

    // The peer's address and name are made when a log line or a login needs them, not kept: kept,
    // they were two strings per connection, about a hundred bytes of an idle connection's three
    // thousand.

    private String name() {
        String remote = String.valueOf(socket.getRemoteSocketAddress());
        return user != null ? user + "@" + remote : remote;
    }

    /** The client's address key (its IP, or its IPv6 /64): what login throttling counts. */
    private String address() {
        return ClientAddress.key(socket.getInetAddress());
    }
}
