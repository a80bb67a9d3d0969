package loomchat.http;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import loomchat.config.HttpLimits;

/**
 * One HTTP connection's life, on its own virtual thread: wait for a request, read its head,
 * run its route's handler, write the answer, and again while the client keeps the connection;
 * then close.
 *
 * <p>Every phase has a deadline, which the port's sweep enforces by closing the socket: a
 * blocking read or write has no timeout of its own worth having (a client sending a byte every
 * few seconds would reset a read timeout for ever). Waiting for a next request may take
 * {@code http_idle_timeout}; a head, once its first byte is in, {@code http_header_timeout}
 * (a connection's first, from the accept); reading a body and handling it
 * {@code http_transfer_timeout}; writing the answer as long again if it is a download, else
 * {@code http_header_timeout}.
 */
final class HttpConnection implements Runnable {
    private static final System.Logger LOG = System.getLogger(HttpConnection.class.getName());
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** How long a connection that ends with a body unread goes on reading it, so the client sees our answer. */
    private static final long LINGER_NANOS = 2_000_000_000L;
    /**
     * The buffer a response body is copied through, for its length only: a 16 MiB download took
     * 20-33 ms on loopback through 8 KiB, 16-23 ms through 32 KiB, as with the JDK's server.
     */
    private static final int COPY_BYTES = 32 * 1024;
    /** An answer up to this long is written under the head's deadline, not the transfer's. */
    private static final int SHORT_ANSWER_BYTES = 64 * 1024;
    /** RFC 9110's IMF-fixdate: the day always two digits, which RFC_1123_DATE_TIME does not give. */
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.ROOT);

    private final Socket raw;
    private final HttpPort port;
    private final HttpLimits limits;
    /** When the sweep closes this connection ({@link System#nanoTime()}): the current phase's deadline. */
    private volatile long deadline;

    HttpConnection(Socket raw, HttpPort port, HttpLimits limits, long deadline) {
        this.raw = raw;
        this.port = port;
        this.limits = limits;
        this.deadline = deadline;
    }

    @Override
    public void run() {
        try (Socket self = raw; Socket socket = port.secure(raw)) {
            HttpInput in = new HttpInput(socket.getInputStream());
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), HttpInput.BUFFER_BYTES);
            boolean keepAlive = true;
            boolean first = true;
            while (keepAlive && !port.closing()) {
                if (!first) deadlineIn(limits.idleTimeout().toNanos());
                if (!in.await()) return; // the client is done
                if (!first) deadlineIn(limits.headerTimeout().toNanos());
                first = false;
                keepAlive = exchange(in, out, socket);
            }
        } catch (IOException e) {
            // The client went away, or the sweep closed the socket past a deadline.
            LOG.log(System.Logger.Level.DEBUG, "http connection ended: {0}", e.toString());
        } finally {
            port.forget(this);
        }
    }

    /** Answers one request; whether the connection can carry another. */
    private boolean exchange(HttpInput in, OutputStream out, Socket socket) throws IOException {
        RequestReader.Head head;
        try {
            head = RequestReader.read(in);
            if (head == null) return false;
        } catch (HttpError e) {
            write(out, errorOf(e), false, false);
            linger(in, socket);
            return false;
        }
        deadlineIn(limits.transferTimeout().toNanos());
        RequestBody body = head.chunked()
                ? new RequestBody.Chunked(in, () -> sendContinue(out, head))
                : new RequestBody.Fixed(in, Math.max(0, head.contentLength()), () -> sendContinue(out, head));
        HttpResponse response = answer(head, body, socket);
        boolean again = head.keepAlive() && body.finished() && !port.closing();
        // A download may take the transfer deadline; a short answer the head's: else a client
        // that pipelines requests and never reads would hold its connection that long for nothing.
        deadlineIn(response.length() > SHORT_ANSWER_BYTES ? limits.transferTimeout().toNanos()
                : limits.headerTimeout().toNanos());
        write(out, response, again, head.method().equals("HEAD"));
        if (!again && !body.finished()) linger(in, socket);
        return again;
    }

    /** The route's answer; a handler that breaks gets the client a 500 and the log a line. */
    private HttpResponse answer(RequestReader.Head head, RequestBody body, Socket socket) throws IOException {
        HttpRequest request = new HttpRequest(head.method(), head.path(), head.query(), head.headers(),
                head.contentLength(), body, socket.getInetAddress());
        try {
            return port.route(head.path()).handle(request);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "http handler failed on " + head.method() + " " + head.path(), e);
            return HttpResponse.json(500, "{\"error\":\"internal\"}");
        }
    }

    private void sendContinue(OutputStream out, RequestReader.Head head) throws IOException {
        if (!head.expectsContinue()) return;
        out.write(CONTINUE);
        out.flush();
    }

    /** Writes {@code response}: its head, then exactly its length of body (none for HEAD). */
    private static void write(OutputStream out, HttpResponse response, boolean keepAlive, boolean headOnly)
            throws IOException {
        try (InputStream body = response.body()) {
            StringBuilder h = new StringBuilder(256)
                    .append("HTTP/1.1 ").append(response.status()).append(' ').append(reason(response.status()))
                    .append("\r\n");
            for (Map.Entry<String, String> field : response.headers().entrySet()) {
                if (!safe(field.getKey()) || !safe(field.getValue())) {
                    throw new IllegalArgumentException("a header field with a line break: " + field.getKey());
                }
                h.append(field.getKey()).append(": ").append(field.getValue()).append("\r\n");
            }
            h.append("Content-Length: ").append(response.length()).append("\r\n");
            h.append("Date: ").append(IMF_FIXDATE.format(ZonedDateTime.now(ZoneOffset.UTC)))
                    .append("\r\n");
            if (!keepAlive) h.append("Connection: close\r\n");
            h.append("\r\n");
            out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (!headOnly) copy(body, out, response.length());
            out.flush();
        }
    }

    /** Copies exactly {@code length} bytes; a body that ends early leaves the framing broken, so it throws. */
    private static void copy(InputStream body, OutputStream out, long length) throws IOException {
        byte[] buffer = new byte[(int) Math.min(COPY_BYTES, Math.max(1, length))];
        long left = length;
        while (left > 0) {
            int n = body.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) throw new java.io.EOFException("a response body ended " + left + " bytes early");
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    /**
     * Ends a connection whose client may still be sending (a body we did not read): tells it we
     * are done writing, then reads and drops what comes for a short while. Closing at once would
     * answer its next bytes with a reset, and a reset can destroy our answer in the client's
     * buffers before it reads it.
     */
    private void linger(HttpInput in, Socket socket) {
        deadlineIn(LINGER_NANOS);
        try {
            socket.shutdownOutput();
        } catch (IOException | UnsupportedOperationException e) {
            return; // gone already, or a socket that cannot half-close: close it
        }
        byte[] drop = new byte[HttpInput.BUFFER_BYTES];
        try {
            while (in.read(drop, 0, drop.length) >= 0) {
                // until the client closes, or the sweep does at the deadline
            }
        } catch (IOException done) {
            // closed: what we were waiting for
        }
    }

    private void deadlineIn(long nanos) {
        deadline = System.nanoTime() + nanos;
    }

    /** Closes the socket if its deadline has passed; true if it did. Called by the port's sweep. */
    boolean closeIfLate(long now) {
        if (now - deadline < 0) return false;
        close();
        return true;
    }

    /** Closes the socket under whatever the connection's thread is doing: its read or write fails at once. */
    void close() {
        try {
            raw.close();
        } catch (IOException ignored) {
            // closed either way
        }
    }

    private static HttpResponse errorOf(HttpError e) {
        return HttpResponse.json(e.status(), "{\"error\":\"" + e.code() + "\"}");
    }

    /** Answers a connection the port will not serve, then closes it: one write, within the port's refusal deadline. */
    void refuse(int status, String code) {
        try (Socket self = raw; Socket socket = port.secure(raw)) {
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 512); // head and body in one write
            write(out, HttpResponse.json(status, "{\"error\":\"" + code + "\"}"), false, false);
        } catch (IOException ignored) {
            // gone already, or too slow
        } finally {
            port.forgetRefused(this);
        }
    }

    private static boolean safe(String s) {
        return s.indexOf('\r') < 0 && s.indexOf('\n') < 0;
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 204 -> "No Content";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            case 507 -> "Insufficient Storage";
            default -> "Status";
        };
    }
}
