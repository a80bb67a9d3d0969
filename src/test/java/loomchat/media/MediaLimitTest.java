package loomchat.media;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.Map;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code max_media_bytes}: a body past it gets 413, whether its length was announced or not. */
class MediaLimitTest extends ServerTest {
    private static final int LIMIT = 1024;

    @Override
    protected Map<String, ?> settings() {
        return Map.of("max_media_bytes", LIMIT);
    }

    MediaRequests http;
    Wire alice;
    String token;

    @BeforeEach
    void start() throws Exception {
        http = new MediaRequests(server.httpPort());
        alice = server.connect();
        alice.register("alice");
        token = alice.login("alice").path("token").asText();
    }

    @AfterEach
    void stop() throws Exception {
        alice.close();
    }

    @Test
    void uploadOfExactlyTheLimitIsAccepted() throws Exception {
        HttpResponse<String> r = http.upload(token, "application/pdf", new byte[LIMIT]);

        assertEquals(201, r.statusCode(), r.body());
        assertEquals(LIMIT, MediaRequests.json(r).path("size").asLong());
    }

    @Test
    void announcedLengthOverTheLimitIsRefusedUpFront() throws Exception {
        HttpResponse<String> r = http.upload(token, "application/pdf", new byte[LIMIT + 1]);

        assertEquals(413, r.statusCode());
        assertEquals(LIMIT, MediaRequests.json(r).path("max_bytes").asLong());
        assertEquals(0, storedFiles());
    }

    @Test
    void chunkedBodyOverTheLimitIsRefusedWhileCounting() throws Exception {
        HttpRequest chunked = http.post(token, "application/pdf",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[LIMIT + 1]))).build();

        HttpResponse<String> r = http.send(chunked);

        assertEquals(413, r.statusCode());
        assertEquals(0, storedFiles());
    }

    private long storedFiles() throws Exception {
        try (var files = Files.list(server.dataDir().resolve("media"))) {
            return files.count();
        }
    }
}
