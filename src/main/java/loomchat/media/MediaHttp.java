package loomchat.media;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import loomchat.chat.ClientAddress;

/**
 * {@code POST /media} and {@code GET /media/<id>}: uploads and downloads over HTTP with the
 * chat login token as bearer token.
 *
 * <p>Each exchange runs on its own virtual thread (see {@code HttpFront}), so the handler reads
 * and writes with plain blocking streams. Answers: {@code 201} with id, size and SHA-256 for an
 * upload, {@code 200} with the bytes for a download, {@code 401} without a good token (checked
 * first, so that nothing about an id is told to a stranger), {@code 404} for an unknown or
 * expired id, {@code 413} past {@code max_media_bytes}, {@code 507} past the uploader's
 * {@code media_quota} or the disk's {@code media_min_free_bytes}, {@code 400} for a bad
 * {@code Content-Type} or {@code Content-Length}, {@code 405} for other methods.
 */
public final class MediaHttp implements HttpHandler {
    private static final System.Logger LOG = System.getLogger(MediaHttp.class.getName());
    private static final String DEFAULT_MIME = "application/octet-stream";
    private static final int MAX_MIME = 255;
    private static final int MAX_TOKEN = 256;
    /** Printable ASCII: what a header value may hold without smuggling anything into our replies. */
    private static final Pattern MIME = Pattern.compile("^[\\x21-\\x7e][\\x20-\\x7e]*$");
    private static final String JSON = "application/json; charset=utf-8";

    private final MediaLibrary library;
    private final AtomicLong lastDiskWarning = new AtomicLong();
    private final TokenCheck tokenUser;

    /** Who a bearer token belongs to. */
    @FunctionalInterface
    public interface TokenCheck {
        /**
         * The token's user, or null if it is unknown, expired or revoked, or if the client's
         * {@code address} guessed too often.
         *
         * @throws SQLException if the database could not say: answered {@code 500}, not {@code 401},
         *     so that a client does not throw a good token away
         */
        String userOf(String token, String address) throws SQLException;
    }

    public MediaHttp(MediaLibrary library, TokenCheck tokenUser) {
        this.library = library;
        this.tokenUser = tokenUser;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            route(ex);
        } catch (IOException e) {
            // Mostly a client that went away mid-transfer; the exchange is closed either way.
            LOG.log(System.Logger.Level.DEBUG, "media exchange failed: {0}", e.toString());
        }
    }

    private void route(HttpExchange ex) throws IOException {
        try {
            String user = user(ex);
            if (user == null) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"loomchat\"");
                respond(ex, 401, "{\"error\":\"unauthorized\",\"message\":\"send Authorization: Bearer <login token>\"}");
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            String method = ex.getRequestMethod();
            if (path.equals("/media") || path.equals("/media/")) {
                if (method.equals("POST")) {
                    upload(ex, user);
                } else {
                    notAllowed(ex, "POST");
                }
            } else if (path.startsWith("/media/") && path.indexOf('/', "/media/".length()) < 0) {
                if (method.equals("GET")) {
                    download(ex, path.substring("/media/".length()));
                } else {
                    notAllowed(ex, "GET");
                }
            } else {
                respond(ex, 404, "{\"error\":\"not_found\"}");
            }
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.WARNING, "media database error: {0}", e.toString());
            respond(ex, 500, "{\"error\":\"internal\"}");
        }
    }

    private void upload(HttpExchange ex, String user) throws IOException, SQLException {
        String mime = ex.getRequestHeaders().getFirst("Content-Type");
        mime = mime == null || mime.isBlank() ? DEFAULT_MIME : mime.strip();
        if (mime.length() > MAX_MIME || !MIME.matcher(mime).matches()) {
            respond(ex, 400, "{\"error\":\"bad_content_type\"}");
            return;
        }
        long declared;
        try {
            String length = ex.getRequestHeaders().getFirst("Content-Length");
            declared = length == null ? -1 : Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            respond(ex, 400, "{\"error\":\"bad_content_length\"}");
            return;
        }
        MediaLibrary.Entry stored;
        try (InputStream body = ex.getRequestBody()) {
            stored = library.store(user, mime, body, declared);
        } catch (MediaLibrary.TooLargeException e) {
            // The rest of the body stays unread; the server then closes the connection rather than drain it.
            ex.getResponseHeaders().set("Connection", "close");
            respond(ex, 413, "{\"error\":\"too_large\",\"max_bytes\":" + library.maxBytes() + "}");
            return;
        } catch (MediaLibrary.OverQuotaException e) {
            ex.getResponseHeaders().set("Connection", "close");
            respond(ex, 507, "{\"error\":\"quota_exceeded\",\"quota_bytes\":" + library.quotaBytes()
                    + ",\"used_bytes\":" + e.used() + "}");
            return;
        } catch (MediaLibrary.DiskFullException e) {
            long now = System.currentTimeMillis();
            long last = lastDiskWarning.get();
            if (now - last > 60_000 && lastDiskWarning.compareAndSet(last, now)) { // a line a minute, not one an upload
                LOG.log(System.Logger.Level.WARNING, "uploads refused: {0}", e.getMessage());
            }
            ex.getResponseHeaders().set("Connection", "close");
            respond(ex, 507, "{\"error\":\"insufficient_storage\",\"usable_bytes\":" + e.usable()
                    + ",\"min_free_bytes\":" + library.minFreeBytes() + "}");
            return;
        }
        ex.getResponseHeaders().set("Location", "/media/" + stored.id());
        respond(ex, 201, "{\"media\":\"" + stored.id() + "\",\"size\":" + stored.size()
                + ",\"sha256\":\"" + stored.sha256() + "\"}");
    }

    private void download(HttpExchange ex, String id) throws IOException, SQLException {
        MediaLibrary.Entry entry = library.find(id);
        InputStream in = entry == null ? null : library.open(entry);
        if (in == null) {
            respond(ex, 404, "{\"error\":\"no_such_media\"}");
            return;
        }
        try (in) {
            var h = ex.getResponseHeaders();
            h.set("Content-Type", entry.mime());
            h.set("ETag", "\"" + entry.sha256() + "\"");
            h.set("Cache-Control", "private");
            // The type is whatever the uploader claimed: never let a browser run it as a page of ours.
            h.set("Content-Disposition", "attachment");
            h.set("X-Content-Type-Options", "nosniff");
            ex.sendResponseHeaders(200, entry.size() == 0 ? -1 : entry.size());
            try (OutputStream out = ex.getResponseBody()) {
                in.transferTo(out);
            }
        }
    }

    private String user(HttpExchange ex) throws SQLException {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || auth.length() < 8 || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
        String token = auth.substring(7).strip();
        if (token.isEmpty() || token.length() > MAX_TOKEN) return null;
        return tokenUser.userOf(token, ClientAddress.key(ex.getRemoteAddress().getAddress()));
    }

    private static void notAllowed(HttpExchange ex, String allow) throws IOException {
        ex.getResponseHeaders().set("Allow", allow);
        respond(ex, 405, "{\"error\":\"method_not_allowed\"}");
    }

    private static void respond(HttpExchange ex, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", JSON);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
