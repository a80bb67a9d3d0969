package loomchat.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import loomchat.chat.AddressCounts;
import loomchat.chat.ClientAddress;
import loomchat.config.HttpLimits;

/**
 * The HTTP port: accepts on one platform thread, serves each connection on a virtual thread of
 * its own ({@link HttpConnection}), routes each request by its path, and closes every socket
 * that outlives its deadline.
 *
 * <p>Past {@code http_max_connections} a newcomer is answered {@code 503}, and past
 * {@code http_per_address} from its address {@code 429}, each on a thread of its own and within
 * {@value #REFUSAL_MILLIS} ms, then closed. TLS, if any, is laid over each accepted socket on the
 * connection's own thread by the {@link Layer} the port is given (the chat port's own), whose
 * first read is the handshake; the sweep closes the plain socket beneath, which never waits on a
 * client the way a TLS close does.
 */
public final class HttpPort implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HttpPort.class.getName());
    private static final long REFUSAL_MILLIS = 2000;
    private static final int MAX_REFUSING = 256;

    private final ServerSocket serverSocket;
    private final Layer layer;
    private final HttpLimits limits;
    private final Semaphore permits;
    private final AddressCounts perAddress;
    private final Semaphore refusing = new Semaphore(MAX_REFUSING);
    private final Map<HttpConnection, String> open = new ConcurrentHashMap<>(); // each to its address key
    private final Set<HttpConnection> refused = ConcurrentHashMap.newKeySet();
    private final Map<String, HttpHandler> exact = new ConcurrentHashMap<>();
    private final List<Map.Entry<String, HttpHandler>> prefixes = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private final Thread sweeper;
    private volatile boolean closing;

    /** What a connection talks through: the accepted socket, or TLS laid over it. */
    @FunctionalInterface
    public interface Layer {
        Socket over(Socket raw) throws IOException;
    }

    /** An HTTP port on {@code bind:port} (0: any free port), its sockets laid over by {@code layer}; not yet accepting. */
    public HttpPort(String bind, int port, Layer layer, HttpLimits limits) throws IOException {
        this.layer = layer;
        this.limits = limits;
        this.permits = new Semaphore(limits.maxConnections());
        this.perAddress = new AddressCounts(limits.perAddress());
        this.serverSocket = new ServerSocket();
        try {
            serverSocket.setReuseAddress(true);
            serverSocket.bind(new InetSocketAddress(bind, port), 1024);
        } catch (IOException e) {
            serverSocket.close();
            throw e;
        }
        this.acceptor = Thread.ofPlatform().name("loomchat-http-accept").unstarted(this::acceptLoop);
        // A platform thread, like the acceptor: deadlines must hold while the carriers are busy.
        this.sweeper = Thread.ofPlatform().name("loomchat-http-sweep").daemon().unstarted(this::sweepLoop);
    }

    /** Routes requests for exactly {@code path} to {@code handler}. */
    public void exact(String path, HttpHandler handler) {
        exact.put(path, handler);
    }

    /** Routes requests for {@code path} and every path under {@code path + "/"} to {@code handler}. */
    public void under(String path, HttpHandler handler) {
        prefixes.add(Map.entry(path, handler));
    }

    public void start() {
        acceptor.start();
        sweeper.start();
    }

    public int port() {
        return serverSocket.getLocalPort();
    }

    /** Connections open now, refusals not counted: for the metrics. */
    public int openConnections() {
        return open.size();
    }

    /** The handler for {@code path}; the answer to a path nothing serves is a 404 in the JSON shape of every HTTP error. */
    HttpHandler route(String path) {
        HttpHandler handler = exact.get(path);
        if (handler != null) return handler;
        for (Map.Entry<String, HttpHandler> p : prefixes) {
            String prefix = p.getKey();
            if (path.equals(prefix) || (path.startsWith(prefix) && path.charAt(prefix.length()) == '/')) {
                return p.getValue();
            }
        }
        return request -> HttpResponse.json(404, "{\"error\":\"not_found\"}");
    }

    boolean closing() {
        return closing;
    }

    /** The socket a connection talks through: {@code raw}, or TLS over it. */
    Socket secure(Socket raw) throws IOException {
        return layer.over(raw);
    }

    private void acceptLoop() {
        while (!closing) {
            Socket raw;
            try {
                raw = serverSocket.accept();
            } catch (IOException e) {
                if (closing) return;
                // Out of file descriptors, most likely: as on the chat port, pause rather than spin.
                LOG.log(System.Logger.Level.WARNING, "http accept failed: {0}", e.toString());
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    return;
                }
                continue;
            }
            try {
                raw.setTcpNoDelay(true); // answers are written whole; the last segment must not wait for an ack
                admit(raw);
            } catch (Throwable t) {
                closeQuietly(raw);
                LOG.log(System.Logger.Level.ERROR, "could not start an http connection: {0}", t.toString());
            }
        }
    }

    private void admit(Socket raw) {
        long now = System.nanoTime();
        if (!permits.tryAcquire()) {
            refuse(raw, 503, "overloaded", now);
            return;
        }
        String address = ClientAddress.key(raw.getInetAddress());
        if (!perAddress.admit(address)) {
            permits.release();
            refuse(raw, 429, "too_many_connections", now);
            return;
        }
        HttpConnection c = new HttpConnection(raw, this, limits, now + limits.headerTimeout().toNanos());
        open.put(c, address);
        try {
            Thread.ofVirtual().name("http").start(c);
        } catch (Throwable t) {
            forget(c);
            throw t;
        }
    }

    /** Answers a socket the port will not serve, on a thread of its own; past {@value #MAX_REFUSING} at once, closes it without a word. */
    private void refuse(Socket raw, int status, String code, long now) {
        if (!refusing.tryAcquire()) {
            closeQuietly(raw);
            return;
        }
        HttpConnection c = new HttpConnection(raw, this, limits, now + TimeUnit.MILLISECONDS.toNanos(REFUSAL_MILLIS));
        refused.add(c);
        Thread.ofVirtual().name("http-refuse").start(() -> c.refuse(status, code));
    }

    /** A connection ended: its permit and its address's count go back. */
    void forget(HttpConnection c) {
        String address = open.remove(c);
        if (address != null) {
            perAddress.release(address);
            permits.release();
        }
    }

    void forgetRefused(HttpConnection c) {
        if (refused.remove(c)) refusing.release();
    }

    /** Closes what is past its deadline, a few times per shortest timeout. */
    private void sweepLoop() {
        long shortest = Math.min(limits.headerTimeout().toMillis(), limits.idleTimeout().toMillis());
        long period = Math.clamp(shortest / 4, 10, 1000);
        while (!closing) {
            try {
                Thread.sleep(period);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (HttpConnection c : open.keySet()) c.closeIfLate(now);
            for (HttpConnection c : refused) c.closeIfLate(now);
        }
    }

    /**
     * Stops accepting, closes every connection, in the middle of a transfer or not, and waits a
     * little for their threads to end: a handler still running (an upload that read its whole
     * body) must not reach the database after the server has closed it.
     */
    @Override
    public void close() {
        closing = true;
        closeQuietly(serverSocket);
        sweeper.interrupt();
        for (HttpConnection c : open.keySet()) c.close();
        for (HttpConnection c : refused) c.close();
        try {
            if (acceptor.isAlive()) acceptor.join(2000);
            if (!permits.tryAcquire(limits.maxConnections(), 2, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "{0} http connections still ending", String.valueOf(open.size()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
