package loomchat.media;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code media_ttl}: expired media read as absent and the sweeper deletes their files. */
class MediaExpiryTest extends ServerTest {
    @Override
    protected Map<String, ?> settings() {
        return Map.of("media_ttl", TTL.toMillis() + "ms");
    }
    private static final Duration TTL = Duration.ofMillis(800);

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
    void expiredMediaIsNotFoundAndItsFileIsDeleted() throws Exception {
        String id = http.uploaded(token, "audio/ogg", new byte[2048]);
        Path file = server.dataDir().resolve("media").resolve(id);
        assertEquals(200, http.download(token, id).statusCode());
        assertTrue(Files.exists(file));

        assertTrue(eventually(() -> !Files.exists(file), TTL.multipliedBy(10)), "the sweeper deleted the file");

        assertEquals(404, http.download(token, id).statusCode());
    }

    @Test
    void sendWithExpiredMediaIsRefused() throws Exception {
        try (Wire bob = server.connect()) {
            bob.register("bob");
        }
        String id = http.uploaded(token, "audio/ogg", new byte[16]);
        long expires = System.currentTimeMillis() + TTL.toMillis();

        assertTrue(eventually(() -> System.currentTimeMillis() > expires, TTL.multipliedBy(2)));
        JsonNode reply = alice.request("{'type':'send','id':'s1','to':'bob','body':'','media':{'id':'" + id
                + "','mime':'audio/ogg','size':16}}", "s1");

        assertEquals("error", reply.path("type").asText());
        assertEquals("no_such_media", reply.path("code").asText());
    }

    @Test
    void aRetryOfADeliveredSendGetsItsFirstAnswerAfterTheMediaExpired() throws Exception {
        try (Wire bob = server.connect()) {
            bob.register("bob");
        }
        String id = http.uploaded(token, "audio/ogg", new byte[16]);
        String send = "{'type':'send','id':'s1','to':'bob','body':'','media':{'id':'" + id + "','mime':'audio/ogg','size':16}}";
        JsonNode first = alice.request(send, "s1");
        assertEquals("ok", first.path("type").asText(), first::toString);
        long expires = System.currentTimeMillis() + TTL.toMillis();
        assertTrue(eventually(() -> System.currentTimeMillis() > expires, TTL.multipliedBy(2)));

        // when the client retries (its ok was lost, say) after the upload expired
        JsonNode retry = alice.request(send, "s1");

        // then it gets the first answer, not no_such_media
        assertEquals("ok", retry.path("type").asText(), retry::toString);
        assertEquals(first.path("msg").asText(), retry.path("msg").asText());
        assertEquals(first.path("ts").asLong(), retry.path("ts").asLong());
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes. */
    static boolean eventually(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20);
        }
        return true;
    }
}
