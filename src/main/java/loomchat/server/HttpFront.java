package loomchat.server;

import com.sun.net.httpserver.HttpExchange;
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
        http.createContext("/health", ex -> respond(ex, 200, "text/plain; charset=utf-8", "ok\n"));
        http.createContext("/metrics", ex ->
                respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render()));
    }

    /** Adds a handler for a path prefix (media lives here). */
    public void route(String path, com.sun.net.httpserver.HttpHandler handler) {
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
