package loomchat.media;

import java.io.IOException;
import java.io.InputStream;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import loomchat.chat.ClientAddress;
import loomchat.http.HttpHandler;
import loomchat.http.HttpRequest;
import loomchat.http.HttpResponse;

/**
 * {@code POST /media} and {@code GET /media/<id>}: uploads and downloads over HTTP with the
 * chat login token as bearer token.
 *
 * <p>Each request runs on its connection's virtual thread (see {@code loomchat.http}), so the
 * handler reads and writes with plain blocking streams. Answers: {@code 201} with id, size and SHA-256 for an
 * upload, {@code 200} with the bytes for a download, {@code 401} without a good token (checked
 * first, so that nothing about an id is told to a stranger, and before an upload's body is
 * read), {@code 404} for an unknown or
 * expired id, {@code 413} past {@code max_media_bytes}, {@code 507} past the uploader's
 * {@code media_quota} or the disk's {@code media_min_free_bytes}, {@code 400} for a bad
 * {@code Content-Type}, {@code 405} for other methods. An answer given before the body was read
 * ends the connection (the port's doing).
 */
public final class MediaHttp implements HttpHandler {
    private static final System.Logger LOG = System.getLogger(MediaHttp.class.getName());
    private static final String DEFAULT_MIME = "application/octet-stream";
    private static final int MAX_MIME = 255;
    private static final int MAX_TOKEN = 256;
    /** Printable ASCII: what a header value may hold without smuggling anything into our replies. */
    private static final Pattern MIME = Pattern.compile("^[\\x21-\\x7e][\\x20-\\x7e]*$");

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
    public HttpResponse handle(HttpRequest request) throws IOException {
        try {
            String user = user(request);
            if (user == null) {
                return HttpResponse.json(401, "{\"error\":\"unauthorized\",\"message\":\"send Authorization: Bearer <login token>\"}")
                        .with("WWW-Authenticate", "Bearer realm=\"loomchat\"");
            }
            String path = request.path();
            String method = request.method();
            if (path.equals("/media") || path.equals("/media/")) {
                return method.equals("POST") ? upload(request, user) : notAllowed("POST");
            } else if (path.indexOf('/', "/media/".length()) < 0) {
                return method.equals("GET") ? download(path.substring("/media/".length())) : notAllowed("GET");
            } else {
                return HttpResponse.json(404, "{\"error\":\"not_found\"}");
            }
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.WARNING, "media database error: {0}", e.toString());
            return HttpResponse.json(500, "{\"error\":\"internal\"}");
        }
    }

    private HttpResponse upload(HttpRequest request, String user) throws IOException, SQLException {
        String mime = request.header("Content-Type");
        mime = mime == null || mime.isBlank() ? DEFAULT_MIME : mime.strip();
        if (mime.length() > MAX_MIME || !MIME.matcher(mime).matches()) {
            return HttpResponse.json(400, "{\"error\":\"bad_content_type\"}");
        }
        MediaLibrary.Entry stored;
        try (InputStream body = request.body()) {
            stored = library.store(user, mime, body, request.contentLength());
        } catch (MediaLibrary.TooLargeException e) {
            // The rest of the body stays unread; the port then ends the connection rather than read it.
            return HttpResponse.json(413, "{\"error\":\"too_large\",\"max_bytes\":" + library.maxBytes() + "}");
        } catch (MediaLibrary.OverQuotaException e) {
            return HttpResponse.json(507, "{\"error\":\"quota_exceeded\",\"quota_bytes\":" + library.quotaBytes()
                    + ",\"used_bytes\":" + e.used() + "}");
        } catch (MediaLibrary.DiskFullException e) {
            long now = System.currentTimeMillis();
            long last = lastDiskWarning.get();
            if (now - last > 60_000 && lastDiskWarning.compareAndSet(last, now)) { // a line a minute, not one an upload
                LOG.log(System.Logger.Level.WARNING, "uploads refused: {0}", e.getMessage());
            }
            return HttpResponse.json(507, "{\"error\":\"insufficient_storage\",\"usable_bytes\":" + e.usable()
                    + ",\"min_free_bytes\":" + library.minFreeBytes() + "}");
        }
        return HttpResponse.json(201, "{\"media\":\"" + stored.id() + "\",\"size\":" + stored.size()
                + ",\"sha256\":\"" + stored.sha256() + "\"}").with("Location", "/media/" + stored.id());
    }

    private HttpResponse download(String id) throws IOException, SQLException {
        MediaLibrary.Entry entry = library.find(id);
        InputStream in = entry == null ? null : library.open(entry);
        if (in == null) return HttpResponse.json(404, "{\"error\":\"no_such_media\"}");
        return HttpResponse.stream(200, Map.of(
                "Content-Type", entry.mime(),
                "ETag", "\"" + entry.sha256() + "\"",
                "Cache-Control", "private",
                // The type is whatever the uploader claimed: never let a browser run it as a page of ours.
                "Content-Disposition", "attachment",
                "X-Content-Type-Options", "nosniff"), entry.size(), in);
    }

    private String user(HttpRequest request) throws SQLException {
        String auth = request.header("Authorization");
        if (auth == null || auth.length() < 8 || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
        String token = auth.substring(7).strip();
        if (token.isEmpty() || token.length() > MAX_TOKEN) return null;
        return tokenUser.userOf(token, ClientAddress.key(request.remote()));
    }

    private static HttpResponse notAllowed(String allow) {
        return HttpResponse.json(405, "{\"error\":\"method_not_allowed\"}").with("Allow", allow);
    }
}
