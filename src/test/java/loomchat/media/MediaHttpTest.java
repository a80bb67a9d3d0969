package loomchat.media;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.stream.Stream;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /media} and {@code GET /media/<id>} over real HTTP, with the default 16 MiB limit. */
class MediaHttpTest extends ServerTest {
    private static final int MIB = 1024 * 1024;

    MediaRequests http;
    Wire alice;
    String aliceToken;

    @BeforeEach
    void start() throws Exception {
        http = new MediaRequests(server.httpPort());
        alice = server.connect();
        alice.register("alice");
        aliceToken = alice.login("alice").path("token").asText();
    }

    @AfterEach
    void stop() throws Exception {
        alice.close();
    }

    @Test
    void uploadThenDownloadByAnotherUserReturnsTheSameBytesAndType() throws Exception {
        byte[] photo = new byte[300_000];
        new Random(7).nextBytes(photo);

        HttpResponse<String> up = http.upload(aliceToken, "image/jpeg", photo);

        assertEquals(201, up.statusCode(), up.body());
        JsonNode stored = MediaRequests.json(up);
        assertEquals(photo.length, stored.path("size").asLong());
        assertEquals(sha256(photo), stored.path("sha256").asText());
        String id = stored.path("media").asText();
        assertTrue(id.matches("[A-Za-z0-9_-]{22}"), id);

        // any logged-in user holding the id may fetch it: the id is the capability
        try (Wire bob = server.connect()) {
            bob.register("bob");
            String bobToken = bob.login("bob").path("token").asText();
            HttpResponse<byte[]> down = http.download(bobToken, id);
            assertEquals(200, down.statusCode());
            assertEquals("image/jpeg", down.headers().firstValue("Content-Type").orElse(null));
            assertArrayEquals(photo, down.body());
        }
    }

    @Test
    void uploadWithoutContentTypeIsStoredAsOctetStream() throws Exception {
        HttpResponse<String> up = http.send(http.post(aliceToken, null,
                HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3})).build());
        assertEquals(201, up.statusCode());

        HttpResponse<byte[]> down = http.download(aliceToken, MediaRequests.json(up).path("media").asText());

        assertEquals("application/octet-stream", down.headers().firstValue("Content-Type").orElse(null));
    }

    @Test
    void uploadWithoutTokenIsUnauthorized() throws Exception {
        assertEquals(401, http.upload(null, "image/png", new byte[10]).statusCode());
        assertEquals(401, http.upload("not-a-token", "image/png", new byte[10]).statusCode());
        assertEquals(0, mediaFiles().count(), "nothing was stored");
    }

    @Test
    void downloadWithoutTokenIsUnauthorized() throws Exception {
        String id = http.uploaded(aliceToken, "text/plain", "hello".getBytes());

        assertEquals(401, http.download(null, id).statusCode());
        assertEquals(401, http.download("not-a-token", id).statusCode());
    }

    @Test
    void revokedTokenIsUnauthorized() throws Exception {
        String id = http.uploaded(aliceToken, "text/plain", "hello".getBytes());

        // when alice logs out, which revokes the token of that session
        JsonNode bye = alice.request("{'type':'logout','id':'o'}", "o");
        assertEquals("ok", bye.path("type").asText());

        assertEquals(401, http.download(aliceToken, id).statusCode());
        assertEquals(401, http.upload(aliceToken, "text/plain", "again".getBytes()).statusCode());
    }

    @Test
    void aTokenTheDatabaseCannotCheckIsAnInternalErrorNotUnauthorized() throws Exception {
        // given a token not in the cache (a restart empties it) and a database that fails its lookup
        alice.close();
        server.restart();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(server.server().config().jdbcUrl(), "sa", "");
             java.sql.Statement s = c.createStatement()) {
            s.execute("ALTER TABLE tokens RENAME TO tokens_away");
            try {
                http = new MediaRequests(server.httpPort());

                // then the upload is refused as the server's failure: the client keeps its good token
                assertEquals(500, http.upload(aliceToken, "text/plain", "hello".getBytes()).statusCode());
            } finally {
                s.execute("ALTER TABLE tokens_away RENAME TO tokens");
            }
        }
        assertEquals(201, http.upload(aliceToken, "text/plain", "hello".getBytes()).statusCode(), "and it works once the database does");
    }

    @Test
    void unknownIdIsNotFound() throws Exception {
        assertEquals(404, http.download(aliceToken, "AAAAAAAAAAAAAAAAAAAAAA").statusCode());
        assertEquals(404, http.download(aliceToken, "..%2Floomchat.mv.db").statusCode());
    }

    @Test
    void chunked20MiBUploadIsRefusedWith413WhileServerHeapStaysFlat() throws Exception {
        // given a 20 MiB body made up as it is sent, without Content-Length (chunked), so the
        // server learns it is too large only by counting; at 12 MiB sent, the heap is measured:
        // a server that buffered the body would hold about 12 MiB of it right then
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long before = memory.getHeapMemoryUsage().getUsed();
        long[] during = {-1};
        InputStream body = new Generated(20L * MIB, 12L * MIB, () -> {
            System.gc();
            during[0] = memory.getHeapMemoryUsage().getUsed();
        });

        HttpResponse<String> r = http.send(http.post(aliceToken, "video/mp4",
                HttpRequest.BodyPublishers.ofInputStream(() -> body)).build());

        assertEquals(413, r.statusCode(), r.body());
        assertTrue(during[0] > 0, "the heap was measured mid-upload");
        long grew = during[0] - before;
        System.out.printf("heap growth at 12 MiB into a 20 MiB upload: %.1f MiB%n", grew / (double) MIB);
        assertTrue(grew < 4L * MIB, "heap grew " + grew / MIB + " MiB during the upload");
        assertEquals(0, mediaFiles().count(), "no partial upload is left on disk");
    }

    private Stream<Path> mediaFiles() throws Exception {
        Path dir = server.dataDir().resolve("media");
        return Files.exists(dir) ? Files.list(dir) : Stream.empty();
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** A stream of {@code size} bytes that exist only while read; runs {@code atMark} once when {@code mark} bytes are out. */
    static final class Generated extends InputStream {
        private final long size;
        private final long mark;
        private final Runnable atMark;
        private long sent;

        Generated(long size, long mark, Runnable atMark) {
            this.size = size;
            this.mark = mark;
            this.atMark = atMark;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (sent >= size) return -1;
            if (sent < mark && sent + len >= mark) atMark.run();
            int n = (int) Math.min(len, size - sent);
            for (int i = 0; i < n; i++) b[off + i] = (byte) (sent + i);
            sent += n;
            return n;
        }
    }
}
