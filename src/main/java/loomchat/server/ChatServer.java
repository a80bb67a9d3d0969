package loomchat.server;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import loomchat.chat.AddressCounts;
import loomchat.chat.Authenticator;
import loomchat.chat.ClientAddress;
import loomchat.chat.Groups;
import loomchat.chat.LoginThrottle;
import loomchat.chat.MessageIds;
import loomchat.chat.PasswordHasher;
import loomchat.chat.Presence;
import loomchat.chat.Router;
import loomchat.config.Config;
import loomchat.db.Accounts;
import loomchat.db.Database;
import loomchat.db.GroupCommitter;
import loomchat.db.Housekeeping;
import loomchat.db.GroupRecords;
import loomchat.db.Recovery;
import loomchat.http.HttpPort;
import loomchat.http.HttpResponse;
import loomchat.media.MediaHttp;
import loomchat.media.MediaLibrary;
import loomchat.media.MediaSweeper;
import loomchat.metrics.Metrics;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.FrameCodec;
import loomchat.protocol.ServerFrame;
import loomchat.store.ChatStore;
import loomchat.store.GroupTable;

/**
 * A running loomchat server: wires the parts together, accepts connections and shuts down cleanly.
 *
 * <p>One platform thread accepts. Each accepted socket takes a connection permit; past
 * {@code max_connections} there is none, and the newcomer gets {@code overloaded}. It also
 * counts against its address until it logs in ({@link AddressCounts}); past that it gets
 * {@code rate_limited}. A refusal is written and closed on a virtual thread of its own, so that
 * a slow one never stalls the accept loop. Each accepted socket gets a virtual thread running a
 * {@link Connection}.
 */
public final class ChatServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ChatServer.class.getName());

    private final Config config;
    private final Metrics metrics = new Metrics();
    /**
     * Group operations (sends, changes) running on threads of their own, which outlive their
     * connection: shutdown waits for them before it closes the commit queue, which would refuse
     * the events of a change whose database write is done.
     */
    private final AtomicInteger groupOpsRunning = new AtomicInteger();
    private final Database db;
    private final GroupCommitter committer;
    private final PasswordHasher hasher;
    private final ChatStore store;
    private final ServerSocket serverSocket;
    /** TLS for the chat port, or null for plain TCP. */
    private final javax.net.ssl.SSLContext tls;
    private final HttpPort http;
    private final MediaSweeper mediaSweeper;
    private final ScheduledExecutorService timer;
    private final Services services;
    private final Semaphore permits;
    private final AddressCounts anonymous;
    /** Refusals being written now: past this many a refused socket is closed without a word. */
    private final Semaphore refusing = new Semaphore(MAX_REFUSING);
    private static final int MAX_REFUSING = 256;
    /** More than a group operation's longest wait, 5 s for commit room ({@code Router.ROOM_WAIT_NANOS}). */
    private static final long GROUP_OPS_WAIT_NANOS = TimeUnit.SECONDS.toNanos(6);
    /** How long shutdown lets connections write the replies already queued before it cuts them. */
    private static final long SHUTDOWN_FLUSH_MILLIS = 1000;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);

    private ChatServer(Config config) throws IOException, SQLException {
        this.config = config;
        Files.createDirectories(config.dataDir());
        FrameCodec codec = new FrameCodec(config.maxFrameBytes());
        // What is open so far, closed newest first if a later step fails: a start refused for a
        // taken HTTP port must not keep the chat port, the database or the commit threads.
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        try {
            this.db = new Database(config);
            opened.push(db);
            Accounts accounts = new Accounts(db);
            this.committer = new GroupCommitter(db, codec, metrics, config.commitLanes(), config.groupCommitDelay(),
                    config.ackGrace(), config.groupCommitMaxBatch(), config.groupCommitMaxBatchBytes(),
                    config.commitQueueCapacity());
            MessageIds ids = new MessageIds(accounts.serverValue("message_id_key", MessageIds.newSecret()));
            this.store = new ChatStore(config.partitions(), committer, config.maxInboxItems(), config.maxInboxBytes(),
                    config.inboxSendersToFill(), config.sendKeysPerUser(), config.sendKeyTtl().toMillis(), ids);
            Recovery.Loaded loaded = Recovery.load(db, store, config.sendKeyTtl().toMillis(),
                    System.currentTimeMillis());
            LOG.log(System.Logger.Level.INFO, "loaded {0} users, {1} undelivered items, {2} send ids",
                    String.valueOf(loaded.users()), String.valueOf(loaded.items()), String.valueOf(loaded.sendKeys()));
            committer.start(store);
            opened.push(committer);

            this.hasher = new PasswordHasher(config.passwordIterations(), config.hashConcurrency(),
                    PasswordHasher.QUEUE_PER_THREAD * config.hashConcurrency());
            opened.push(hasher);
            Authenticator auth = new Authenticator(accounts, store, hasher,
                    new LoginThrottle(config.loginFailuresPerUser(), config.loginFailuresPerAddress(),
                            config.loginFailureWindow().toMillis()),
                    config.registrationsPerAddress(), config.registrationWindow(), config.tokenTtl(),
                    config.tokensPerUser());
            MediaLibrary media = new MediaLibrary(db, config.dataDir().resolve("media"), config.mediaTtl(),
                    config.maxMediaBytes(), config.mediaQuota(), config.mediaMinFreeBytes(), metrics);
            GroupTable groupTable = new GroupTable(config.partitions());
            GroupRecords groupRecords = new GroupRecords(db);
            int groupCount = groupRecords.load(groupTable, store);
            LOG.log(System.Logger.Level.INFO, "loaded {0} groups", String.valueOf(groupCount));
            Router router = new Router(store, ids, metrics, media, groupTable, config.sendRate(), config.sendBurst());
            ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
                    r -> Thread.ofPlatform().name("loomchat-timer").daemon().unstarted(r));
            timer.setRemoveOnCancelPolicy(true); // a refusal's deadline, cancelled at once, must not stay queued
            this.timer = timer;
            opened.push(timer::shutdownNow);
            this.services = new Services(config, codec, store, auth, router,
                    new Groups(groupTable, store, groupRecords, config.maxGroupSize(), config.maxGroupsPerUser(),
                            config.sendRate(), config.sendBurst()),
                    new Presence(store, groupTable, codec), metrics, this);
            this.permits = new Semaphore(config.maxConnections());
            this.anonymous = new AddressCounts(config.anonymousPerAddress());

            this.tls = Tls.context(config.tlsKeystore(), config.tlsKeystorePassword());
            // Plain TCP even with TLS: each connection lays TLS over its socket on its own virtual
            // thread (the handshake is its first read), and keeps the TCP socket beneath, whose close
            // never waits on the client the way a TLS close does (see Outbox.cut).
            this.serverSocket = new ServerSocket();
            opened.push(serverSocket);
            serverSocket.setReuseAddress(true);
            serverSocket.bind(new InetSocketAddress(config.bind(), config.port()), 4096);
            this.http = new HttpPort(config.bind(), config.httpPort(), this::secure, config.httpLimits());
            opened.push(http);
            http.exact("/health", request -> HttpResponse.text(200, "text/plain; charset=utf-8", "ok\n"));
            http.exact("/metrics", request ->
                    HttpResponse.text(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render()));
            http.under("/media", new MediaHttp(media, auth::tokenUser));
            http.start();
            this.mediaSweeper = MediaSweeper.start(media);
            opened.push(mediaSweeper);
            metrics.gauge("loomchat_connections_open", connections::size);
            metrics.gauge("loomchat_connections_anonymous", anonymous::total);
            metrics.gauge("loomchat_http_connections_open", http::openConnections);
            metrics.gauge("loomchat_commit_backlog", committer::backlog);
            Housekeeping housekeeping = new Housekeeping(db, config.sendKeyTtl().toMillis());
            timer.scheduleWithFixedDelay(() -> Thread.ofVirtual().name("housekeeping").start(housekeeping::run),
                    1, 600, java.util.concurrent.TimeUnit.SECONDS); // JDBC off the timer thread
            long stallLimit = config.writeStallTimeout().toNanos();
            long idleLimit = config.idleTimeout().toNanos();
            long loginLimit = config.loginTimeout().toNanos();
            // One sweep a second for every timeout: clients that stopped reading, that stopped
            // talking, or that never logged in. One pass over the connections costs less than a timer
            // per connection or per read, and takes no lock on the accept path.
            timer.scheduleWithFixedDelay(() -> {
                long now = System.nanoTime();
                for (Connection c : connections) {
                    if (!c.cutIfStalled(stallLimit, now)) c.closeIfSilent(idleLimit, loginLimit, now);
                }
            }, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
            this.acceptor = Thread.ofPlatform().name("loomchat-accept").unstarted(this::acceptLoop);
            acceptor.start();
        } catch (Throwable failed) {
            closeAll(opened, failed);
            throw failed;
        }
        LOG.log(System.Logger.Level.INFO, "listening chat={0} http={1}", String.valueOf(port()),
                String.valueOf(httpPort()));
    }

    /** Closes what a failed start opened, newest first; what fails to close is added to {@code failed}. */
    private static void closeAll(Deque<AutoCloseable> opened, Throwable failed) {
        for (AutoCloseable c : opened) {
            try {
                c.close();
            } catch (Throwable t) {
                failed.addSuppressed(t);
            }
        }
    }

    /** Starts a server; it is accepting connections when this returns. */
    public static ChatServer start(Config config) throws IOException, SQLException {
        return new ChatServer(config);
    }

    /** The bound chat port (useful when the configured port was 0). */
    public int port() {
        return serverSocket.getLocalPort();
    }

    public int httpPort() {
        return http.port();
    }

    public Metrics metrics() {
        return metrics;
    }

    public Config config() {
        return config;
    }

    private void acceptLoop() {
        while (!closed.get()) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                if (closed.get()) return;
                // Out of file descriptors, most likely: retrying at once would spin this thread
                // and flood the log until one is free. A tenth of a second is long enough for
                // connections to end and short enough for a client to notice nothing.
                LOG.log(System.Logger.Level.WARNING, "accept failed: {0}", e.toString());
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    return;
                }
                continue;
            }
            if (!permits.tryAcquire()) {
                refuse(socket, ErrorCode.OVERLOADED, "the server is at its connection limit; try again later");
                continue;
            }
            String address = ClientAddress.key(socket.getInetAddress());
            if (!anonymous.admit(address)) {
                permits.release();
                refuse(socket, ErrorCode.RATE_LIMITED, "too many connections from your address have not logged in; "
                        + "log in on those first");
                continue;
            }
            Connection c = null;
            try {
                c = new Connection(socket, services, address);
                connections.add(c);
                Thread.ofVirtual().name("conn").start(c);
            } catch (Throwable t) {
                // A throwable never ends the loop silently; the slot goes back.
                if (c != null) connections.remove(c);
                permits.release();
                anonymous.release(address);
                closeQuietly(socket);
                LOG.log(System.Logger.Level.ERROR, "could not start a connection: {0}", t.toString());
            }
        }
    }

    /**
     * Answers a socket that gets no connection with one error frame and closes it, on a thread of
     * its own, within 2 s. Refused sockets hold no permit, so they are bounded here instead: at
     * most {@value #MAX_REFUSING} answered at once, the rest closed at once; and with TLS the
     * answer needs a handshake, which a client could stretch a byte at a time without the
     * deadline.
     */
    private void refuse(Socket socket, ErrorCode code, String message) {
        metrics.connectionsRefused.increment();
        if (!refusing.tryAcquire()) {
            closeQuietly(socket);
            return;
        }
        java.util.concurrent.ScheduledFuture<?> deadline;
        try {
            deadline = timer.schedule(() -> closeQuietly(socket), 2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            refusing.release();
            closeQuietly(socket);
            return;
        }
        Thread.ofVirtual().name("refuse").start(() -> {
            try (Socket raw = socket; Socket s = secure(raw); OutputStream out = s.getOutputStream()) {
                out.write(services.codec().encode(new ServerFrame.Error(null, code, message)));
                out.flush();
            } catch (IOException ignored) {
                // they left already, or took too long
            } finally {
                deadline.cancel(false);
                refusing.release();
            }
        });
    }

    /** The socket a connection talks through, on either port: {@code raw}, or TLS laid over it, server side. */
    Socket secure(Socket raw) throws IOException {
        if (tls == null) return raw;
        javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) tls.getSocketFactory()
                .createSocket(raw, null, raw.getPort(), true);
        socket.setUseClientMode(false);
        return socket;
    }

    /** A connection still counted against its address logged in, or ended. */
    void leftAnonymous(String address) {
        anonymous.release(address);
    }

    /** Called when a connection's thread ends. */
    void forget(Connection c) {
        if (connections.remove(c)) permits.release();
    }

    /** Open connections right now. */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Stops accepting, closes every connection, writes every batch already queued, and closes
     * the database. Whatever got an {@code ok} is on disk when this returns.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        try {
            LOG.log(System.Logger.Level.INFO, "shutting down: {0} connections open", String.valueOf(connections.size()));
            closeQuietly(serverSocket);
            http.close();
            // Replies already queued go out first: among them the oks of messages delivered and
            // acknowledged, whose send ids were never written (write-back), so that an ok lost
            // here would make the client's retry after the restart a second message.
            for (Connection c : connections) c.finish();
            hasher.close(); // a connection waiting for a hash would otherwise hold its permit until it is done
            try {
                acceptor.join(2000);
                // Every permit back means every connection has ended its session, so the
                // last_seen of users online until now is queued before the committer closes.
                if (!permits.tryAcquire(config.maxConnections(), SHUTDOWN_FLUSH_MILLIS, TimeUnit.MILLISECONDS)) {
                    for (Connection c : connections) c.close(); // those not reading their replies
                    if (!permits.tryAcquire(config.maxConnections(), 2, TimeUnit.SECONDS)) {
                        LOG.log(System.Logger.Level.WARNING, "{0} connections still closing",
                                String.valueOf(connections.size()));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            awaitGroupOps();
            mediaSweeper.close();
            committer.close();
            timer.shutdownNow();
            db.close();
            LOG.log(System.Logger.Level.INFO, "stopped");
        } finally {
            stopped.countDown();
        }
    }

    /** A connection started a group operation on a thread of its own. */
    void groupOpStarted() {
        groupOpsRunning.incrementAndGet();
    }

    void groupOpEnded() {
        groupOpsRunning.decrementAndGet();
    }

    /**
     * At shutdown, once every connection has ended (so no new group operation can start): waits
     * for the ones still running, at most {@link #GROUP_OPS_WAIT_NANOS}, the longest of them being
     * a wait for room in the commit queue.
     */
    private void awaitGroupOps() {
        long deadline = System.nanoTime() + GROUP_OPS_WAIT_NANOS;
        while (groupOpsRunning.get() > 0) {
            if (System.nanoTime() - deadline > 0) {
                LOG.log(System.Logger.Level.WARNING, "{0} group operations still running",
                        String.valueOf(groupOpsRunning.get()));
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Waits until {@link #close()} has run (used by the command line to stay up). */
    public void awaitClose() throws InterruptedException {
        stopped.await();
    }
}
