package loomchat.client;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import loomchat.protocol.ClientFrame;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.FrameCodec;
import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;
import loomchat.protocol.ServerFrame.InboxItem;
import loomchat.protocol.ServerFrame.Reply;

/**
 * Many logged-in connections driven by one thread through a {@link Selector}: the client side of
 * a load test, where a reader thread per connection costs the machine more than the server it
 * measures.
 *
 * <p>{@link #connect} opens a connection, logs it in by token and hands it to the loop. From
 * then on the loop's thread reads every connection that has bytes, passes each inbox item to the
 * {@link ItemListener}, acknowledges cumulatively once per read, and completes the futures of
 * requests. {@link #send} may be called from any thread.
 *
 * <p>Why it exists: at 40 messages a second per connection, nearly every frame a
 * {@link ChatClient} receives wakes its virtual thread on its own: an event from the JDK's
 * poller, a carrier woken to run it, the socket armed again, the carrier parked. The loop is
 * registered once per connection, and one {@code epoll_wait} hands it every connection that has
 * bytes. On this project's 2-core benchmark box that cut the open-loop generator's CPU by about a
 * third (docs/performance.md, round 7). The server keeps its thread per connection: this class
 * is for measuring it, not a model for it.
 *
 * <p>It does less than {@link ChatClient} on purpose: plain TCP only, token logins only, inbox
 * items and replies only (other frames are ignored), no reconnect. A connection the server
 * closes fails its pending requests; the others go on. Writes wait while a socket's send buffer
 * is full, so a server that stops reading one connection stalls its senders and, for its acks,
 * the loop: right for a load generator, which should not outrun the server, wrong for a phone.
 * Requests in flight are bounded only by the caller, as the benchmark's schedule bounds them.
 */
public final class ClientLoop implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ClientLoop.class.getName());
    private static final FrameCodec CODEC = new FrameCodec(ChatClient.MAX_INCOMING_FRAME);
    /** Most frames are a few hundred bytes; the buffer doubles, up to the longest frame allowed, for larger ones. */
    private static final int READ_BUFFER = 4096;
    /** How long a writer waits before trying again when the socket's send buffer is full. */
    private static final long FULL_SOCKET_PAUSE_NANOS = 50_000;

    /** Receives the inbox items of every connection, on the loop's thread: it must not block. */
    @FunctionalInterface
    public interface ItemListener {
        void onItem(int connection, InboxItem item);
    }

    private final Selector selector;
    private final ItemListener listener;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final ReentrantLock adding = new ReentrantLock();
    private final Thread thread;
    private volatile boolean closed;

    /** Starts the loop's thread (a platform thread: it is one, and it runs all the time). */
    public ClientLoop(String name, ItemListener listener) throws IOException {
        this.selector = Selector.open();
        this.listener = listener;
        this.thread = Thread.ofPlatform().name(name).daemon().start(this::run);
    }

    /** One connection: its channel, its requests in flight, and what the loop has read of it. */
    private static final class Link {
        final int index;
        final SocketChannel channel;
        final String idPrefix = ChatClient.freshIdPrefix();
        final AtomicLong nextId = new AtomicLong();
        final ReentrantLock lock = new ReentrantLock(); // writes, pending, open
        final Map<String, CompletableFuture<Reply>> pending = new HashMap<>();
        boolean open = true;
        // Only the loop's thread touches these.
        ByteBuffer in = ByteBuffer.allocate(READ_BUFFER);
        int scanned; // bytes of `in` already searched for a newline
        long highestSeen;
        long lastAcked;

        Link(int index, SocketChannel channel) {
            this.index = index;
            this.channel = channel;
        }

        String nextId() {
            return idPrefix + nextId.incrementAndGet();
        }
    }

    /**
     * Connects, logs {@code user} in with {@code token} and hands the connection to the loop;
     * returns its number, which {@link #send} and the listener use. Thread-safe.
     *
     * @param local the local address to connect from, or null for any
     * @throws ChatException if the login is refused or not answered within {@code timeout}
     */
    public int connect(String host, int port, InetAddress local, String user, String token, Duration timeout)
            throws IOException {
        SocketChannel channel = SocketChannel.open();
        Link link = null;
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true); // frames are small; someone waits for each
            if (local != null) channel.bind(new InetSocketAddress(local, 0));
            channel.socket().connect(new InetSocketAddress(host, port), Math.toIntExact(timeout.toMillis()));
            channel.configureBlocking(false);
            adding.lock();
            try {
                link = new Link(links.size(), channel);
                links.add(link);
            } finally {
                adding.unlock();
            }
            // The login goes out without waiting for the welcome: the server reads it after greeting,
            // and the loop takes the welcome like any other frame.
            CompletableFuture<Reply> reply = request(link, new ClientFrame.Login(link.nextId(), user, null, token));
            channel.register(selector, SelectionKey.OP_READ, link);
            selector.wakeup(); // a select already under way does not see a new key
            Reply r = reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (r instanceof ServerFrame.Error e) throw new ChatException(e.code(), e.message());
            if (!(r instanceof ServerFrame.LoginOk)) throw new ChatException(null, "expected login_ok, got " + r);
            return link.index;
        } catch (ExecutionException e) {
            throw abandon(channel, link, e.getCause() instanceof ChatException c ? c
                    : new ChatException(null, e.getCause().toString(), e.getCause()));
        } catch (TimeoutException e) {
            throw abandon(channel, link, new ChatException(null, "no login reply from " + host + ":" + port
                    + " within " + timeout));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw abandon(channel, link, new ChatException(null, "interrupted while logging " + user + " in"));
        } catch (ChatException e) {
            throw abandon(channel, link, e);
        } catch (IOException | RuntimeException e) {
            abandon(channel, link, new ChatException(null, "connect failed: " + e.getMessage(), e));
            throw e;
        }
    }

    /** Closes a connection that did not get logged in; returns {@code cause} for the caller to throw. */
    private ChatException abandon(SocketChannel channel, Link link, ChatException cause) throws IOException {
        if (link != null) fail(link, cause);
        else channel.close();
        return cause;
    }

    /** Sends a message from connection {@code connection}; the future completes with the server's {@code ok}. */
    public CompletableFuture<ServerFrame.SendOk> send(int connection, String to, String body) {
        Link link = links.get(connection);
        return request(link, new ClientFrame.Send(link.nextId(), to, null, body, null)).thenApply(reply -> switch (reply) {
            case ServerFrame.SendOk ok -> ok;
            case ServerFrame.Error e -> throw new ChatException(e.code(), e.message());
            default -> throw new ChatException(null, "expected an ok to a send, got " + reply);
        });
    }

    /** How many connections the loop holds (closed ones included: numbers are never reused). */
    public int size() {
        return links.size();
    }

    /** Closes every connection and stops the loop; requests still in flight fail. */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Link link : links) fail(link, new ChatException(null, "the client loop was closed"));
        try {
            selector.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the selector failed", e);
        }
    }

    private CompletableFuture<Reply> request(Link link, ClientFrame.Request request) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        byte[] line = CODEC.encode(request);
        IOException failure = null;
        link.lock.lock();
        try {
            if (!link.open) {
                reply.completeExceptionally(new ChatException(null, "the connection is closed"));
                return reply;
            }
            link.pending.put(request.id(), reply);
            try {
                write(link, line);
            } catch (IOException e) {
                failure = e;
            }
        } finally {
            link.lock.unlock();
        }
        if (failure != null) fail(link, new ChatException(null, "write failed: " + failure.getMessage(), failure));
        return reply;
    }

    /** Writes a whole line; the caller holds the link's lock, so lines never interleave. */
    private static void write(Link link, byte[] line) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(line);
        while (bytes.hasRemaining()) {
            // A non-blocking channel writes nothing while the server has not taken what it was
            // sent: wait a little and try again (a load generator can afford to wait).
            if (link.channel.write(bytes) == 0) LockSupport.parkNanos(FULL_SOCKET_PAUSE_NANOS);
        }
    }

    // ---------------------------------------------------------------- the loop's thread

    private void run() {
        try {
            while (!closed) selector.select(this::readable);
        } catch (IOException | ClosedSelectorException e) {
            if (!closed) LOG.log(System.Logger.Level.WARNING, "the client loop stopped", e);
        }
    }

    private void readable(SelectionKey key) {
        Link link = (Link) key.attachment();
        try {
            if (link.channel.read(link.in) < 0) {
                fail(link, new ChatException(null, "the server closed the connection"));
                return;
            }
            frames(link);
            if (link.highestSeen > link.lastAcked) {
                link.lastAcked = link.highestSeen;
                byte[] ack = CODEC.encode(new ClientFrame.Ack(link.highestSeen));
                link.lock.lock();
                try {
                    if (link.open) write(link, ack);
                } finally {
                    link.lock.unlock();
                }
            }
        } catch (IOException e) {
            fail(link, new ChatException(null, "connection lost: " + e.getMessage(), e));
        }
    }

    /** Handles every whole line in the link's buffer and keeps the rest for the next read. */
    private void frames(Link link) {
        ByteBuffer in = link.in;
        byte[] bytes = in.array();
        int end = in.position();
        int from = 0;
        for (int i = link.scanned; i < end; i++) {
            if (bytes[i] != '\n') continue;
            frame(link, bytes, from, i - from);
            from = i + 1;
        }
        System.arraycopy(bytes, from, bytes, 0, end - from);
        in.position(end - from);
        link.scanned = end - from;
        if (!in.hasRemaining()) {
            if (in.capacity() >= ChatClient.MAX_INCOMING_FRAME) {
                fail(link, new ChatException(ErrorCode.FRAME_TOO_LARGE, "the server sent an overlong line"));
                return;
            }
            link.in = ByteBuffer.allocate(in.capacity() * 2).put(in.flip());
        }
    }

    private void frame(Link link, byte[] bytes, int offset, int length) {
        ServerFrame frame;
        try {
            frame = CODEC.decodeServer(bytes, offset, length);
        } catch (ProtocolException | RuntimeException e) {
            // A newer server may send frames this version does not know: skip, do not die.
            LOG.log(System.Logger.Level.DEBUG, "skipping a frame: {0}", e.getMessage());
            return;
        }
        switch (frame) {
            case InboxItem item -> {
                try {
                    listener.onItem(link.index, item);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "the item listener failed on seq " + item.seq(), e);
                }
                link.highestSeen = Math.max(link.highestSeen, item.seq());
            }
            case ServerFrame.Error e when e.id() == null ->
                    LOG.log(System.Logger.Level.INFO, "connection {0}: the server said {1}: {2}",
                            link.index, e.code(), e.message());
            case Reply reply -> {
                CompletableFuture<Reply> f;
                link.lock.lock();
                try {
                    f = link.pending.remove(reply.id());
                } finally {
                    link.lock.unlock();
                }
                if (f != null) f.complete(reply); // outside the lock: dependent stages may send
            }
            default -> { } // welcome, presence, typing, receipt notices: not this client's business
        }
    }

    /** Closes a link once and fails its requests in flight. */
    private void fail(Link link, ChatException cause) {
        List<CompletableFuture<Reply>> failed;
        link.lock.lock();
        try {
            if (!link.open) return;
            link.open = false;
            failed = new ArrayList<>(link.pending.values());
            link.pending.clear();
        } finally {
            link.lock.unlock();
        }
        try {
            link.channel.close(); // also cancels its key
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing a connection failed", e);
        }
        for (CompletableFuture<Reply> f : failed) f.completeExceptionally(cause);
    }
}
