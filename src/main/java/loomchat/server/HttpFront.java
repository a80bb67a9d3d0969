package loomchat.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import loomchat.metrics.Metrics;

/**
 * The HTTP port: {@code /health}, {@code /metrics} and the media routes, on the JDK's built-in
 * HTTP(S) server with a virtual thread per exchange.
 */
public final class HttpFront implements AutoCloseable {
    /**
     * Bounds the JDK's server leaves unlimited by default, set unless the operator set them
     * (with {@code -D}): connections on this port, and how long reading one request (headers and
     * body) and writing one response may take. Without them a client sending its headers a byte
     * a minute, or reading a download as slowly, holds a socket and a thread forever. Five
     * minutes is enough for the largest upload (16 MiB) at about 60 KB/s.
     */
    static final java.util.Map<String, String> LIMITS = java.util.Map.of(
            "jdk.httpserver.maxConnections", "10000",
            "sun.net.httpserver.maxReqTime", "300",
            "sun.net.httpserver.maxRspTime", "300");

    static {
        // Read once, when the JDK's server classes load: so before the first server is made.
        LIMITS.forEach((key, value) -> {
            if (System.getProperty(key) == null) System.setProperty(key, value);
        });
    }

    private final HttpServer http;

    /** An HTTP front on {@code bind:port}; HTTPS when {@code tls} is not null. */
    public HttpFront(String bind, int port, javax.net.ssl.SSLContext tls, Metrics metrics) throws IOException {
        if (tls == null) {
            http = HttpServer.create(new InetSocketAddress(bind, port), 1024);
        } else {
            com.sun.net.httpserver.HttpsServer https =
                    com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress(bind, port), 1024);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
            http = https;
        }
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        // Every path no other context claims: the JDK's own answer would be an HTML page.
        http.createContext("/", HttpFront::notFound);
        http.createContext("/health", only("/health", ex -> respond(ex, 200, "text/plain; charset=utf-8", "ok\n")));
        http.createContext("/metrics", only("/metrics", ex ->
                respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render())));
    }

    /** A handler for exactly {@code path}: a context also matches every path that merely starts with it. */
    private static HttpHandler only(String path, HttpHandler handler) {
        return ex -> {
            if (ex.getRequestURI().getRawPath().equals(path)) handler.handle(ex);
            else notFound(ex);
        };
    }

    /** The answer to a path nothing serves, in the JSON shape of every other HTTP error (MediaHttp's). */
    private static void notFound(HttpExchange ex) throws IOException {
        respond(ex, 404, "application/json; charset=utf-8", "{\"error\":\"not_found\"}");
    }

    /** Adds a handler for a path prefix (media lives here). */
    public void route(String path, HttpHandler handler) {
        http.createContext(path, handler);
    }

    public void start() {
        http.start();
    }

    public int port() {
        return http.getAddress().getPort();
    }

    static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
