package loomchat.media;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The HTTP requests of the media tests, spelled out once: a real {@link HttpClient} against the HTTP port. */
final class MediaRequests {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final int port;

    MediaRequests(int port) {
        this.port = port;
    }

    HttpRequest.Builder post(String token, String contentType, HttpRequest.BodyPublisher body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri("/media")).timeout(Duration.ofSeconds(30)).POST(body);
        if (token != null) b.header("Authorization", "Bearer " + token);
        if (contentType != null) b.header("Content-Type", contentType);
        return b;
    }

    HttpResponse<String> upload(String token, String contentType, byte[] bytes) throws IOException, InterruptedException {
        return send(post(token, contentType, HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
    }

    /** Uploads and returns the media id, failing the test if the server did not answer 201. */
    String uploaded(String token, String contentType, byte[] bytes) throws IOException, InterruptedException {
        HttpResponse<String> r = upload(token, contentType, bytes);
        if (r.statusCode() != 201) throw new AssertionError("upload answered " + r.statusCode() + ": " + r.body());
        return json(r).path("media").asText();
    }

    HttpResponse<byte[]> download(String token, String id) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri("/media/" + id)).timeout(Duration.ofSeconds(30)).GET();
        if (token != null) b.header("Authorization", "Bearer " + token);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
