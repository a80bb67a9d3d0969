package loomchat.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * Uploads and downloads media on the server's HTTP port, with the token of a chat login.
 *
 * <p>Both directions stream: an upload is read from its file as it is sent, and a download is
 * written to a temporary file next to its target and moved into place only when complete, so
 * that a failed download never leaves a truncated file under the wanted name.
 *
 * <p>Close it when done: it holds an {@link HttpClient}, whose connections and selector thread
 * stay until then.
 */
public final class MediaClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** As long as the server gives an upload's body or a download (its {@code http_transfer_timeout}). */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofMinutes(5);
    /** An error body is a short JSON object; read no more of it than this. */
    private static final int MAX_ERROR_BODY = 4096;

    /** What the server answered to an upload: the id to put in a message, the size and the SHA-256 it computed. */
    public record Uploaded(String id, long size, String sha256) {
    }

    /** A finished download: where it is, its type and size. */
    public record Downloaded(Path file, String mime, long size) {
    }

    /** The server refused a request; {@link #status()} is the HTTP status (401, 404, 413, 507...). */
    public static final class RefusedException extends IOException {
        private final int status;

        RefusedException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final HttpClient http;
    private final URI base;
    private final String token;
    private final Duration requestTimeout;

    /**
     * @param base the HTTP port's root, such as {@code http://localhost:7071}
     * @param token the token a chat login returned
     */
    public MediaClient(URI base, String token) {
        this(base, token, null, DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * @param tls what to trust for {@code https}, or null for the JVM's default trust store
     * @param requestTimeout how long a request may take until its response begins (for an
     *                       upload, sending the file included)
     */
    public MediaClient(URI base, String token, SSLContext tls, Duration requestTimeout) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT);
        if (tls != null) builder.sslContext(tls);
        this.http = builder.build();
        this.base = base;
        this.token = token;
        this.requestTimeout = requestTimeout;
    }

    /** Closes the HTTP client's connections and thread. */
    @Override
    public void close() {
        http.close();
    }

    /** Uploads a file, streaming it; {@code mime} null means {@code application/octet-stream}. */
    public Uploaded upload(Path file, String mime) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/media"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", mime == null ? "application/octet-stream" : mime)
                .timeout(requestTimeout)
                .POST(HttpRequest.BodyPublishers.ofFile(file))
                .build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            if (response.statusCode() != 201) throw refused("upload of " + file, response.statusCode(), body);
            JsonNode n = JSON.readTree(body.readNBytes(MAX_ERROR_BODY));
            return new Uploaded(n.path("media").asText(), n.path("size").asLong(), n.path("sha256").asText());
        }
    }

    /** Downloads media {@code id} into {@code to}, replacing it; streams to disk. */
    public Downloaded download(String id, Path to) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/media/" + id))
                .header("Authorization", "Bearer " + token)
                .timeout(requestTimeout)
                .GET()
                .build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) throw refused("download of " + id, response.statusCode(), body);
            Path target = to.toAbsolutePath();
            Path temp = Files.createTempFile(target.getParent(), ".download-", ".part");
            try {
                long size = Files.copy(body, temp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                String mime = response.headers().firstValue("Content-Type").orElse("application/octet-stream");
                return new Downloaded(target, mime, size);
            } finally {
                Files.deleteIfExists(temp);
            }
        }
    }

    private static RefusedException refused(String what, int status, InputStream body) throws IOException {
        String detail = new String(body.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8).strip();
        String reason = switch (status) {
            case 401 -> "not logged in (bad or revoked token)";
            case 404 -> "no such media (unknown or expired)";
            case 413 -> "too large for the server";
            case 507 -> "no room (the uploader's quota, or the server's disk)";
            default -> "refused";
        };
        return new RefusedException(status, what + ": " + status + " " + reason + (detail.isEmpty() ? "" : " " + detail));
    }
}
