package loomchat.client;

import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

import loomchat.protocol.ClientFrame;
import loomchat.protocol.ClientFrame.TypingState;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.FrameCodec;
import loomchat.protocol.LineReader;
import loomchat.protocol.Media;
import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;
import loomchat.protocol.ServerFrame.InboxItem;
import loomchat.protocol.ServerFrame.Reply;

/**
 * One connection to a loomchat server, with the protocol's requests as methods.
 *
 * <p>A single virtual thread reads and decodes what the server sends: replies complete the
 * future of their request, inbox items go to {@link #onItem}, everything else to
 * {@link #onEvent}. Callers write on their own thread, under a lock, so a client costs one
 * parked virtual thread and a few small buffers however many messages it handles, which is
 * what lets a load generator run thousands of them.
 *
 * <p>Inbox items are acknowledged cumulatively by default ({@link #autoAck}): after the
 * listener has seen an item, the client acks the highest {@code seq} once it has drained what
 * the socket has already delivered, so a burst of a thousand items costs one ack, not a
 * thousand; {@link #close()} sends the one still owed. Set the listeners before {@link #login}:
 * the server starts pushing as soon as the login succeeds, so a listener set after login is
 * refused rather than miss them. A client that sets no {@link #onItem} listener at all (one
 * that only sends, say) does not want its items: with auto-ack they are acked as they come, so
 * that its receipts do not pile up.
 *
 * <p>Listeners and the futures' dependent stages run on the reader thread. They must not wait
 * for a reply (a blocking call there would wait for the very thread that has to read it), so
 * the blocking methods refuse to run on it; the asynchronous ones and the fire-and-forget
 * frames ({@link #ack}, {@link #read}, {@link #typing}) are fine.
 */
public final class ChatClient implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ChatClient.class.getName());

    /**
     * The longest line accepted from the server. Larger than the server's own limit on what it
     * accepts, because a pushed message wraps a body of up to that limit in more fields.
     */
    public static final int MAX_INCOMING_FRAME = 1 << 20;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /** Acks at least this often in a steady stream, when the socket never runs dry. */
    private static final int ACK_EVERY = 256;
    private static final int WRITE_BUFFER = 4096;
    /** The reader thread's writes wait at most this many received frames for their flush. */
    private static final int FLUSH_EVERY = 64;
    /**
     * How long {@link #close()} waits, at most, for each step of its goodbye: a listener to finish
     * its item, the write lock, and the server to close its side once it has read everything.
     */
    private static final Duration GOODBYE_WAIT = Duration.ofSeconds(1);

    /** One codec for every client of the process: it is thread-safe and not cheap to build. */
    private static final FrameCodec CODEC = new FrameCodec(MAX_INCOMING_FRAME);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Consumer<InboxItem> NO_ITEMS = item -> { };
    private static final Consumer<ServerFrame> NO_EVENTS = event -> { };

    private final Socket socket;
    private final String peer;
    private final LineReader lines;
    private final OutputStream out;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ServerFrame.Welcome welcome;

    /** Put before this connection's request ids: see {@link #freshIdPrefix()}. */
    private final String idPrefix;
    private final AtomicLong nextId = new AtomicLong();
    private final Map<String, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    /** Null while open; set once, by whoever closes first, to the reason, which late requests fail with. */
    private final AtomicReference<ChatException> closeCause = new AtomicReference<>();
    /** Set by whoever closes the socket, fails the pending requests and runs onClose: once. */
    private final AtomicBoolean released = new AtomicBoolean();
    private final Thread reader;
    /**
     * Held by the reader while it hands one frame to the listeners. {@link #close()} takes it
     * before it marks the connection closed, so that an item whose listener is still running
     * when close() is called is acked if the listener returns, and no item is handed on after.
     */
    private final ReentrantLock dispatching = new ReentrantLock();
    /** Once the connection is closing politely, the reader drains what comes until this {@code nanoTime}. */
    private volatile long goodbyeDeadline;

    // Set by the application on any thread, read by the reader thread.
    private volatile Consumer<InboxItem> itemListener = NO_ITEMS;
    private volatile boolean loginSent; // onItem is refused from then on
    private volatile Consumer<ServerFrame> eventListener = NO_EVENTS;
    private volatile Runnable closeListener = () -> { };
    private volatile boolean autoAck = true;
    private volatile Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    /** When the reader last read a line (a blank one too), for {@link #keepAlive}. */
    private volatile long lastReadNanos = System.nanoTime();
    private volatile String user;
    /**
     * An error the server sent without an id as its latest frame: it explains the close that
     * follows (say, {@code session_replaced}). Cleared by any later frame, so that an old refusal
     * of an {@code ack} or {@code read} is never taken for the reason of a close.
     */
    private volatile ServerFrame.Error serverError;

    /**
     * The reader thread wrote frames that are still in the buffer. Set under {@link #writeLock};
     * read without it by the reader, which alone sets it, so that a reader with nothing to flush
     * never waits for the lock (held, perhaps, by a caller blocked writing to a full socket while
     * the server waits for this very reader to take its replies).
     */
    private volatile boolean unflushed;

    /** The goodbye has been written and the output shut: nothing more may be. Under {@link #writeLock}. */
    private boolean outputShut;

    /**
     * An ack the reader could not write because a caller held {@link #writeLock} (0 if none).
     * The reader never waits for that lock: the caller may be blocked writing to a socket the
     * server has stopped reading until this very reader takes its replies. Whoever releases the
     * lock next sends it; the reader sets it before it tries the lock, so one of them always does.
     */
    private final AtomicLong owedAck = new AtomicLong();

    /**
     * The highest seq whose listener returned normally. Written only by the reader; volatile
     * because {@link #close()} reads it for its last ack.
     */
    private volatile long highestSeen;
    /** The highest seq this client's automatic acks have written. Under {@link #writeLock}. */
    private long ackWritten;

    // Only the reader thread touches these.
    private int framesSinceFlush;
    private long lastAcked;
    private int unacked;

    /** Wraps a connected socket and reads the server's greeting; the reader thread is not started yet. */
    private ChatClient(Socket socket, String peer) throws IOException {
        this.socket = socket;
        this.peer = peer;
        this.out = new BufferedOutputStream(socket.getOutputStream(), WRITE_BUFFER);
        this.lines = new LineReader(new AckingInput(socket.getInputStream()), MAX_INCOMING_FRAME);
        this.idPrefix = freshIdPrefix();
        this.welcome = readWelcome();
        this.reader = Thread.ofVirtual().name("loomchat-client " + peer).unstarted(this::readLoop);
    }

    /**
     * A random prefix for one connection's request ids. They must differ from those of earlier
     * connections of the same user: the server treats a repeated send id as a retry and delivers
     * nothing new.
     */
    static String freshIdPrefix() {
        return Long.toString(RANDOM.nextLong() >>> 1, 36) + "-";
    }

    /** Connects over plain TCP and waits for the server's {@code welcome}. */
    public static ChatClient connect(String host, int port) throws IOException {
        return connect(host, port, null, DEFAULT_CONNECT_TIMEOUT);
    }

    /**
     * Connects, over TLS when {@code tls} is not null, and waits for the server's
     * {@code welcome}; {@code connectTimeout} bounds the TCP connect, the handshake and the
     * wait for the welcome, each.
     *
     * @throws IOException if the server cannot be reached or does not greet like a loomchat server;
     *     if it refused the connection ({@code overloaded}, {@code rate_limited}), the exception's
     *     cause is a {@link ChatException} with the server's code and message
     */
    public static ChatClient connect(String host, int port, SSLSocketFactory tls, Duration connectTimeout)
            throws IOException {
        return connect(host, port, tls, connectTimeout, null);
    }

    /**
     * Connects as {@link #connect(String, int, SSLSocketFactory, Duration)} does, from the given
     * local address when it is not null: a load generator spreads thousands of connections over
     * several source addresses (127.0.0.x), since one address has only ~28,000 ephemeral ports.
     */
    public static ChatClient connect(String host, int port, SSLSocketFactory tls, Duration connectTimeout,
                                     InetAddress localAddress) throws IOException {
        int timeoutMillis = Math.toIntExact(connectTimeout.toMillis());
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true); // frames are small and someone is waiting for each one
            if (localAddress != null) {
                // No SO_REUSEADDR: with it the kernel may hand out a port whose last connection
                // the server has not closed yet, and the new SYN is ignored until retried 1 s later.
                socket.bind(new InetSocketAddress(localAddress, 0));
            }
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            if (tls != null) {
                SSLSocket secure = (SSLSocket) tls.createSocket(socket, host, port, true);
                // Check that the certificate names this host, as HTTPS does: a trusted certificate
                // for any other name would otherwise do (the JDK leaves it to the caller on a socket).
                SSLParameters params = secure.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                secure.setSSLParameters(params);
                secure.startHandshake();
                socket = secure;
            }
            ChatClient client = new ChatClient(socket, host + ":" + port);
            socket.setSoTimeout(0); // from now on silence is normal: the server's idle timeout rules
            client.reader.start();
            return client;
        } catch (IOException | RuntimeException e) {
            closeQuietly(socket);
            throw e;
        }
    }

    private ServerFrame.Welcome readWelcome() throws IOException {
        LineReader.Line first = lines.next();
        while (first == LineReader.Line.BLANK) first = lines.next();
        if (first != LineReader.Line.FRAME) {
            throw new IOException(peer + " closed the connection or sent an overlong line instead of a welcome");
        }
        ServerFrame frame;
        try {
            frame = CODEC.decodeServer(lines.buffer(), lines.offset(), lines.length());
        } catch (ProtocolException | RuntimeException e) {
            throw new IOException(peer + " sent an unreadable first frame: " + e.getMessage(), e);
        }
        if (frame instanceof ServerFrame.Welcome w) return w;
        if (frame instanceof ServerFrame.Error e) {
            // A server at its limits sends one error instead of the welcome, and closes.
            ChatException refusal = new ChatException(e.code(), e.message());
            throw new IOException(peer + " refused the connection: " + refusal.getMessage(), refusal);
        }
        throw new IOException(peer + " did not start with a welcome frame");
    }

    // ---------------------------------------------------------------- configuration

    /** The server's greeting: its name, protocol version and frame limit. */
    public ServerFrame.Welcome welcome() {
        return welcome;
    }

    /**
     * Where inbox items (messages, receipts, group events) go.
     *
     * <p>An item is acknowledged (with auto-ack) only once the listener has returned normally.
     * If it throws a {@code RuntimeException}, the client neither acks that item nor hands the
     * listener anything after it: it closes the connection, acking only the items before. The
     * close is reported as any other: {@link #onClose} runs, and {@link #closeCause()} names the
     * listener's failure and has it as its cause. The server pushes the item again at the next
     * login, so a listener that fails (its own store is down, say) gets the item back later
     * rather than lose it.
     *
     * @throws IllegalStateException once a login has been sent: the server pushes items the
     *     moment it succeeds, and those that came before the listener would be acked unseen
     */
    public ChatClient onItem(Consumer<InboxItem> listener) {
        Objects.requireNonNull(listener);
        if (loginSent) {
            throw new IllegalStateException("set onItem before login: items are pushed as soon as it succeeds");
        }
        this.itemListener = listener;
        return this;
    }

    /**
     * Where presence, typing notices, advance copies of receipts ({@link ServerFrame.ReceiptNotice},
     * sent ahead of a long backlog; the receipt item follows) and errors that answer no request
     * (e.g. {@code session_replaced}) go.
     */
    public ChatClient onEvent(Consumer<ServerFrame> listener) {
        this.eventListener = Objects.requireNonNull(listener);
        return this;
    }

    /** Runs once when the connection ends, whoever ended it. */
    public ChatClient onClose(Runnable listener) {
        this.closeListener = Objects.requireNonNull(listener);
        return this;
    }

    /** Whether the client acks inbox items itself after the listener saw them (default true). */
    public ChatClient autoAck(boolean enabled) {
        this.autoAck = enabled;
        return this;
    }

    /** How long the blocking methods wait for a reply (default 30 s). */
    public ChatClient requestTimeout(Duration timeout) {
        this.requestTimeout = Objects.requireNonNull(timeout);
        return this;
    }

    /**
     * Checks a quiet connection: a {@code ping} whenever nothing has been read for {@code every},
     * and {@link #abort()} once nothing has been read for twice that. A network that died without
     * a word (a NAT that forgot the connection, a phone moving from Wi-Fi to mobile) sends no FIN
     * and no reset, and without this the client would wait on it for ever; with it the
     * connection ends within about two and a half times {@code every}: the pending futures fail,
     * {@link #isOpen()} turns false and {@link #onClose} runs, so reconnect logic built on it
     * fires. The pings also keep a quiet session inside the server's {@code idle_timeout}
     * (5 minutes by default). Off by default; while on, one more virtual thread, asleep.
     */
    public ChatClient keepAlive(Duration every) {
        long everyNanos = Objects.requireNonNull(every).toNanos();
        if (everyNanos <= 0) throw new IllegalArgumentException("keepAlive must be positive: " + every);
        Thread.ofVirtual().name("loomchat-keepalive " + peer).start(() -> {
            // Looked at twice an interval: a ping goes out at most half an interval late, so its
            // pong has at least half an interval before the connection would be given up.
            Duration tick = every.dividedBy(2);
            while (isOpen()) {
                try {
                    Thread.sleep(tick);
                } catch (InterruptedException e) {
                    return;
                }
                long quiet = System.nanoTime() - lastReadNanos;
                if (!isOpen()) return;
                if (quiet >= 2 * everyNanos) {
                    LOG.log(System.Logger.Level.INFO, "nothing from {0} for {1} ms: the network is taken for dead",
                            peer, String.valueOf(quiet / 1_000_000));
                    shutdown(new ChatException(null, "nothing from " + peer + " for " + quiet / 1_000_000
                            + " ms (keepAlive " + every.toMillis() + " ms): the connection was given up"), false);
                    awaitReader();
                    return;
                }
                if (quiet >= everyNanos) request(new ClientFrame.Ping(nextId())); // its pong is a line read
            }
        });
        return this;
    }

    /** The user this connection logged in as, or null before a successful login. */
    public String user() {
        return user;
    }

    public boolean isOpen() {
        return closeCause.get() == null;
    }

    /** Why the connection ended (its code set if the server said why), or null while it is open. */
    public ChatException closeCause() {
        return closeCause.get();
    }

    /** A request id unique to this connection, for building requests by hand (e.g. a send to retry). */
    public String nextId() {
        return idPrefix + nextId.incrementAndGet();
    }

    // ---------------------------------------------------------------- requests

    /**
     * Sends a request; the future completes with its reply, which may be an {@code error}
     * reply: only a lost connection or an unsendable frame completes it exceptionally.
     */
    public CompletableFuture<Reply> request(ClientFrame.Request request) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        String id = request.id();
        if (id == null || id.isEmpty() || id.length() > FrameCodec.MAX_ID_LENGTH) {
            // The server would answer without an id, and nothing could match the answer to this future.
            reply.completeExceptionally(new ChatException(ErrorCode.INVALID,
                    "a request id has 1 to " + FrameCodec.MAX_ID_LENGTH + " characters"));
            return reply;
        }
        byte[] line = CODEC.encode(request);
        if (line.length - 1 > welcome.maxFrameBytes()) {
            reply.completeExceptionally(new ChatException(ErrorCode.FRAME_TOO_LARGE,
                    "the frame has " + (line.length - 1) + " bytes; the server takes " + welcome.maxFrameBytes()));
            return reply;
        }
        if (pending.putIfAbsent(request.id(), reply) != null) {
            reply.completeExceptionally(new IllegalArgumentException("request id " + request.id() + " is in flight"));
            return reply;
        }
        // Registered before the check: either shutdown() sees this future or we see it closed.
        if (!isOpen()) {
            pending.remove(request.id(), reply);
            reply.completeExceptionally(closedException());
            return reply;
        }
        try {
            write(line);
        } catch (IOException e) {
            pending.remove(request.id(), reply);
            reply.completeExceptionally(new ChatException(null, "could not write to " + peer, e));
            shutdown(new ChatException(null, "write to " + peer + " failed: " + e.getMessage(), e));
        }
        return reply;
    }

    /** Creates the account; throws {@link ChatException} ({@code user_exists}, {@code invalid}) if refused. */
    public void register(String user, String password) {
        call(new ClientFrame.Register(nextId(), user, password), ServerFrame.Ok.class);
    }

    /** Logs in with a password; the server then pushes every unacknowledged inbox item. */
    public ServerFrame.LoginOk login(String user, String password) {
        return loggedIn(user, loginCall(new ClientFrame.Login(nextId(), user, password, null)));
    }

    /** Logs in with the token of an earlier login: the cheap way back after a network flap. */
    public ServerFrame.LoginOk loginWithToken(String user, String token) {
        return loggedIn(user, loginCall(new ClientFrame.Login(nextId(), user, null, token)));
    }

    /** A login; from the moment it is sent until it fails, {@link #onItem} is refused. */
    private ServerFrame.LoginOk loginCall(ClientFrame.Login login) {
        loginSent = true;
        try {
            return call(login, ServerFrame.LoginOk.class);
        } catch (ChatException e) {
            // Refused: no session, so no items, and a listener may still be set. Not on a timeout
            // or a lost connection, after which the login may have succeeded on the server.
            if (e.code() != null && e.code() != ErrorCode.ALREADY_AUTHENTICATED) loginSent = false;
            throw e;
        }
    }

    private ServerFrame.LoginOk loggedIn(String user, ServerFrame.LoginOk ok) {
        this.user = user;
        return ok;
    }

    /** Sends a message to one user; the future completes when the server holds it safely. */
    public CompletableFuture<ServerFrame.SendOk> send(String to, String body) {
        return send(new ClientFrame.Send(nextId(), to, null, body, null));
    }

    /** Sends a message to every other member of a group. */
    public CompletableFuture<ServerFrame.SendOk> sendToGroup(String group, String body) {
        return send(new ClientFrame.Send(nextId(), null, group, body, null));
    }

    /** Sends a message with media (an id from {@link MediaClient#upload}) to one user. */
    public CompletableFuture<ServerFrame.SendOk> send(String to, String body, Media media) {
        return send(new ClientFrame.Send(nextId(), to, null, body, Objects.requireNonNull(media)));
    }

    /** Sends a message with media to every other member of a group. */
    public CompletableFuture<ServerFrame.SendOk> sendToGroup(String group, String body, Media media) {
        return send(new ClientFrame.Send(nextId(), null, group, body, Objects.requireNonNull(media)));
    }

    /**
     * Sends a message built by hand (with media, or a fixed id to retry a send whose reply was
     * lost); a null id is replaced by a fresh one.
     */
    public CompletableFuture<ServerFrame.SendOk> send(ClientFrame.Send send) {
        ClientFrame.Send withId = send.id() != null ? send
                : new ClientFrame.Send(nextId(), send.to(), send.group(), send.body(), send.media());
        return typed(withId, ServerFrame.SendOk.class);
    }

    /** Revokes this session's token; the server then closes the connection, and so does the client. */
    public void logout() {
        try {
            call(new ClientFrame.Logout(nextId()), ServerFrame.Ok.class);
        } finally {
            close();
        }
    }

    /** Pings the server (allowed before login) and returns the round trip time. */
    public Duration ping() {
        long start = System.nanoTime();
        call(new ClientFrame.Ping(nextId()), ServerFrame.Pong.class);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** Asks for {@code user}'s presence now and on every change; it arrives through {@link #onEvent}. */
    public void subscribe(String user) {
        call(new ClientFrame.Subscribe(nextId(), user), ServerFrame.Ok.class);
    }

    public void unsubscribe(String user) {
        call(new ClientFrame.Unsubscribe(nextId(), user), ServerFrame.Ok.class);
    }

    /** Creates a group with the caller as admin and returns its id. */
    public String groupCreate(String name, List<String> members) {
        return call(new ClientFrame.GroupCreate(nextId(), name, List.copyOf(members)),
                ServerFrame.GroupCreated.class).group();
    }

    public void groupAdd(String group, List<String> users) {
        call(new ClientFrame.GroupAdd(nextId(), group, List.copyOf(users)), ServerFrame.Ok.class);
    }

    public void groupRemove(String group, List<String> users) {
        call(new ClientFrame.GroupRemove(nextId(), group, List.copyOf(users)), ServerFrame.Ok.class);
    }

    public void groupLeave(String group) {
        call(new ClientFrame.GroupLeave(nextId(), group), ServerFrame.Ok.class);
    }

    public ServerFrame.GroupInfo groupInfo(String group) {
        return call(new ClientFrame.GroupInfoRequest(nextId(), group), ServerFrame.GroupInfo.class);
    }

    /** The groups the caller is a member of. */
    public List<ServerFrame.GroupSummary> groups() {
        return call(new ClientFrame.GroupsRequest(nextId()), ServerFrame.GroupList.class).groups();
    }

    // ---------------------------------------------------------------- fire and forget

    // These return false, rather than throw, when the connection is already closed: a listener
    // racing with close() is normal, and the contract covers the loss (unacked items come again).

    /**
     * Acknowledges every inbox item up to {@code seq}; only needed with {@code autoAck(false)}.
     *
     * @return false if the connection was closed and nothing was sent
     */
    public boolean ack(long seq) {
        return fire(new ClientFrame.Ack(seq));
    }

    /** Tells the sender of a received message that it was read; false if the connection was closed. */
    public boolean read(String msgId) {
        return fire(new ClientFrame.Read(msgId));
    }

    /** Shows or hides "typing…" at one user; false if the connection was closed. */
    public boolean typing(String to, TypingState state) {
        return fire(new ClientFrame.Typing(to, null, state));
    }

    /** Shows or hides "typing…" in a group; false if the connection was closed. */
    public boolean typingInGroup(String group, TypingState state) {
        return fire(new ClientFrame.Typing(null, group, state));
    }

    private boolean fire(ClientFrame frame) {
        if (!isOpen()) return false;
        try {
            write(CODEC.encode(frame));
            return true;
        } catch (IOException e) {
            shutdown(new ChatException(null, "write to " + peer + " failed: " + e.getMessage(), e));
            return false;
        }
    }

    // ---------------------------------------------------------------- closing

    /**
     * Closes the connection with a goodbye; pending requests fail with {@link ChatException}.
     * Idempotent.
     *
     * <p>With auto-ack, it first acks every item the listener has returned from (waiting up to a
     * second for one it is still busy with), then waits, up to a second, for the server to close
     * its side: once it returns, the server has read everything this client sent, so a new login
     * of the same user finds those items gone, and their senders have had their answers. Items
     * after that are not handed to the listener; they come again at the next login.
     */
    @Override
    public void close() {
        ChatException reason = new ChatException(null, "the client closed the connection");
        if (sayGoodbye(reason) && Thread.currentThread() != reader) {
            join(reader); // it ends when the server closes its side, and releases all
            release(reason);
        }
        // On the reader thread (a listener closed the client) the reader releases all itself, once
        // the listener has returned and the server has closed its side.
        awaitReader();
    }

    /** Waits a little for the reader thread to end, so that a test sees onClose has run once close() returns. */
    private void awaitReader() {
        if (reader != Thread.currentThread() && reader.isAlive()) join(reader);
    }

    private static void join(Thread thread) {
        try {
            thread.join(GOODBYE_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Drops the connection the way a failing network does, without the orderly goodbye of
     * {@link #close()}: the socket is reset (TCP RST), so the server learns of it as of a lost
     * phone. For tests and load generators that simulate flaps; pending requests fail as with
     * {@code close()}. Like {@code close()} it waits for the reader thread to end: only then is
     * the socket's file descriptor released (a generator that dropped 19,000 clients without
     * waiting ran out of file descriptors logging them in again).
     */
    public void abort() {
        try {
            socket.setSoLinger(true, 0); // closing then resets instead of sending FIN
        } catch (java.net.SocketException ignored) {
            // already closed
        }
        shutdown(new ChatException(null, "the client aborted the connection"), false); // no goodbye, no last ack
        awaitReader();
    }

    /**
     * Marks the connection closed for {@code reason} once the listener has finished its item, sends
     * the ack still owed for the items it has seen and shuts the socket's output, which tells the
     * server the client is done; the reader goes on draining until the server closes its side.
     * Returns false if the connection was already closed; if the goodbye could not be written,
     * everything is released at once.
     */
    private boolean sayGoodbye(ChatException reason) {
        if (!isOpen()) return false;
        goodbyeDeadline = System.nanoTime() + GOODBYE_WAIT.toNanos(); // before the reader can see the close
        boolean waited = lockWithin(dispatching, GOODBYE_WAIT);
        try {
            if (!closeCause.compareAndSet(null, reason)) return false;
        } finally {
            if (waited) dispatching.unlock();
        }
        // The reader never waits for the write lock (see owedAck); a caller may, a little.
        if (!lockWithin(writeLock, Thread.currentThread() == reader ? Duration.ZERO : GOODBYE_WAIT)) {
            release(reason); // a writer is stuck: no goodbye, and the items come again
            return true;
        }
        try {
            outputShut = true;
            long owed = owedAck.getAndSet(0); // an ack the reader left behind is already decided
            long seq = Math.max(owed, autoAck ? highestSeen : 0);
            if (seq > ackWritten) out.write(CODEC.encode(new ClientFrame.Ack(seq)));
            out.flush();
            unflushed = false;
            socket.shutdownOutput();
            // A server that stays silent does not hold the reader (for a read it starts from now on).
            socket.setSoTimeout(Math.toIntExact(GOODBYE_WAIT.toMillis()));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.DEBUG, "goodbye to {0} failed: {1}", peer, e.toString());
            release(reason);
        } finally {
            writeLock.unlock();
        }
        return true;
    }

    /** Takes {@code lock}, waiting at most {@code wait}; false if it could not. */
    private static boolean lockWithin(ReentrantLock lock, Duration wait) {
        try {
            return lock.tryLock() || lock.tryLock(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void shutdown(ChatException cause) {
        shutdown(cause, true);
    }

    /**
     * Ends the connection once, for {@code cause}; if {@code explainedByServer}, an error the
     * server sent just before (without an id) becomes the reason, with its code.
     */
    private void shutdown(ChatException cause, boolean explainedByServer) {
        if (!isOpen()) return;
        ServerFrame.Error said = explainedByServer ? serverError : null;
        ChatException reason = said == null ? cause
                : new ChatException(said.code(), said.message() == null ? cause.getMessage() : said.message(), cause);
        if (!closeCause.compareAndSet(null, reason)) return;
        release(reason);
    }

    /** Closes the socket, fails the pending requests with {@code reason} and runs onClose; once. */
    private void release(ChatException reason) {
        if (!released.compareAndSet(false, true)) return;
        closeQuietly(socket);
        for (String id : pending.keySet()) {
            CompletableFuture<Reply> f = pending.remove(id);
            if (f != null) f.completeExceptionally(reason);
        }
        try {
            closeListener.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "onClose listener failed", e);
        }
    }

    private ChatException closedException() {
        ChatException cause = closeCause.get();
        return cause != null ? cause : new ChatException(null, "the connection to " + peer + " is closed");
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the socket failed", e);
        }
    }

    // ---------------------------------------------------------------- the reader thread

    private void readLoop() {
        ChatException cause = null; // made only when needed: a stack trace per client adds up in a storm
        try {
            while (true) {
                LineReader.Line line = lines.next();
                lastReadNanos = System.nanoTime();
                if (line == LineReader.Line.EOF) break;
                if (!isOpen()) {
                    // Closing politely: what comes is drained unread until the server closes too.
                    if (System.nanoTime() - goodbyeDeadline > 0) break;
                    continue;
                }
                if (line == LineReader.Line.BLANK) continue;
                if (line == LineReader.Line.TOO_LONG) {
                    LOG.log(System.Logger.Level.WARNING, "{0} sent a line over {1} bytes; closing", peer,
                            MAX_INCOMING_FRAME);
                    cause = new ChatException(ErrorCode.FRAME_TOO_LARGE, "the server sent an overlong line");
                    break;
                }
                ServerFrame frame;
                try {
                    frame = CODEC.decodeServer(lines.buffer(), lines.offset(), lines.length());
                } catch (ProtocolException | RuntimeException e) {
                    // A newer server may send frames this version does not know: skip, do not die.
                    LOG.log(System.Logger.Level.DEBUG, "skipping a frame from {0}: {1}", peer, e.getMessage());
                    continue;
                }
                dispatching.lock();
                try {
                    if (isOpen()) dispatch(frame); // not once close() has sent its last ack
                } finally {
                    dispatching.unlock();
                }
                // A socket that never runs dry must not hold the reader's writes back for long.
                if (++framesSinceFlush >= FLUSH_EVERY) flushBeforeWaiting();
            }
        } catch (SocketException e) {
            if (isOpen()) cause = new ChatException(null, "connection to " + peer + " lost: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            if (isOpen()) {
                LOG.log(System.Logger.Level.WARNING, "reading from " + peer + " failed", e);
                cause = new ChatException(null, "reading from " + peer + " failed: " + e.getMessage(), e);
            }
        } catch (Error e) {
            // A failed assertion in a test's listener, most likely: the reader cannot go on, and
            // the close must say why rather than blame the server.
            if (isOpen()) {
                cause = new ChatException(null, "the reader thread stopped: " + e + " (thrown by a listener?)", e);
            }
            throw e;
        } finally {
            if (isOpen()) {
                shutdown(cause != null ? cause : new ChatException(null, peer + " closed the connection"));
            } else {
                release(closeCause.get()); // after a goodbye, which left that to this thread
            }
        }
    }

    private void dispatch(ServerFrame frame) throws IOException {
        if (serverError != null && !(frame instanceof ServerFrame.Error e && e.id() == null)) serverError = null;
        switch (frame) {
            case InboxItem item -> deliver(item);
            case ServerFrame.Error e when e.id() == null -> {
                serverError = e;
                event(e);
            }
            case Reply reply -> {
                CompletableFuture<Reply> f = pending.remove(reply.id());
                if (f != null) {
                    f.complete(reply);
                } else {
                    LOG.log(System.Logger.Level.DEBUG, "reply to unknown request {0}", reply.id());
                }
            }
            default -> event(frame);
        }
    }

    private void deliver(InboxItem item) throws IOException {
        Consumer<InboxItem> listener = itemListener;
        try {
            listener.accept(item);
        } catch (RuntimeException e) {
            // Acking it would lose it for good: close instead, and the server pushes it again.
            LOG.log(System.Logger.Level.WARNING, "onItem listener failed on seq " + item.seq() + "; closing", e);
            ChatException failure = new ChatException(null, "the onItem listener failed on seq " + item.seq()
                    + ", which is left unacknowledged: " + e, e);
            sayGoodbye(failure);
            return;
        }
        if (item.seq() > highestSeen) highestSeen = item.seq();
        if (++unacked >= ACK_EVERY) ackBeforeWaiting();
    }

    private void event(ServerFrame frame) {
        try {
            eventListener.accept(frame);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "onEvent listener failed", e);
        }
    }

    /** Called on the reader thread when it has handled everything received so far. */
    private void ackBeforeWaiting() throws IOException {
        unacked = 0;
        if (!autoAck || highestSeen <= lastAcked || !isOpen()) return;
        lastAcked = highestSeen;
        owedAck.set(highestSeen);
        if (!writeLock.tryLock()) return; // the holder sends it when it lets go
        try {
            writeOwedAck();
            unflushed = true;
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes the ack the reader left, if any; under {@link #writeLock}. */
    private void writeOwedAck() throws IOException {
        if (outputShut) return; // the goodbye sent the last ack
        long seq = owedAck.getAndSet(0); // taken whole: the reader may be setting a newer one
        if (seq == 0) return;
        out.write(CODEC.encode(new ClientFrame.Ack(seq)));
        ackWritten = seq;
    }

    /** The socket's input, which sends the pending ack whenever the reader is about to wait for more. */
    private final class AckingInput extends FilterInputStream {
        AckingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (available() == 0) {
                ackBeforeWaiting();
                flushBeforeWaiting();
            }
            return super.read(b, off, len);
        }
    }

    // ---------------------------------------------------------------- writing

    private void write(byte[] line) throws IOException {
        writeLock.lock();
        try {
            if (outputShut) throw new SocketException("the connection to " + peer + " is closing");
            writeOwedAck();
            out.write(line);
            // The reader thread writes in bursts (a listener answers each of many items, an ok's
            // stage sends the next message): it flushes once, before it next waits for input,
            // instead of making a system call per frame. Any other thread flushes at once.
            if (Thread.currentThread() == reader) {
                unflushed = true;
            } else {
                out.flush();
                unflushed = false;
            }
        } finally {
            writeLock.unlock();
        }
        // An ack the reader left while this thread wrote (it did not wait for the lock). Checked
        // again after each unlock: the reader may have left a newer one while this one was written.
        while (owedAck.get() != 0 && Thread.currentThread() != reader && writeLock.tryLock()) {
            try {
                writeOwedAck();
                out.flush();
            } finally {
                writeLock.unlock();
            }
        }
    }

    /**
     * Called on the reader thread before it may block: sends what it wrote since the last flush.
     * If a caller holds the lock, the reader does not wait: that caller flushes before it lets go.
     */
    private void flushBeforeWaiting() throws IOException {
        framesSinceFlush = 0;
        if (!unflushed || !writeLock.tryLock()) return;
        try {
            if (unflushed) {
                unflushed = false;
                out.flush();
            }
        } finally {
            writeLock.unlock();
        }
    }

    // ---------------------------------------------------------------- futures

    /** The request's reply as the expected {@code ok} shape; an {@code error} reply becomes a {@link ChatException}. */
    private <T extends Reply> CompletableFuture<T> typed(ClientFrame.Request request, Class<T> type) {
        CompletableFuture<T> result = new CompletableFuture<>();
        request(request).whenComplete((reply, failure) -> {
            if (failure != null) {
                // A connection lost before the reply names the request too: a send whose ok was
                // lost is retried with the same id on the next connection, and delivered once.
                result.completeExceptionally(failure == closeCause.get() ? closeCause.get().of(request.id()) : failure);
            } else if (reply instanceof ServerFrame.Error e) {
                result.completeExceptionally(new ChatException(e.code(), e.message(), null, request.id()));
            } else if (type.isInstance(reply)) {
                result.complete(type.cast(reply));
            } else {
                result.completeExceptionally(new ChatException(null, "expected " + type.getSimpleName()
                        + " but the server replied " + reply));
            }
        });
        return result;
    }

    /** Sends a request and waits for its reply, at most {@link #requestTimeout}. */
    private <T extends Reply> T call(ClientFrame.Request request, Class<T> type) {
        if (Thread.currentThread() == reader) {
            throw new IllegalStateException("a blocking call on the reader thread would wait for itself; "
                    + "use the asynchronous form in listeners");
        }
        CompletableFuture<T> future = typed(request, type);
        Duration timeout = requestTimeout;
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ChatException c) throw new ChatException(c);
            throw new ChatException(null, e.getCause().toString(), e.getCause());
        } catch (TimeoutException e) {
            pending.remove(request.id()); // a reply that comes later is logged and dropped
            throw new ChatException(null, "no reply from " + peer + " within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChatException(null, "interrupted while waiting for " + peer);
        }
    }
}
