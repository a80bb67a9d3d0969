package loomchat.media;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import loomchat.testing.Await;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code media_quota} per user and {@code media_min_free_bytes} per disk: past either, an upload gets 507. */
class MediaQuotaTest {

    @Test
    void anUploadThatWouldPassTheUsersQuotaGets507AndIsNotKept() throws Exception {
        // given a quota of 1,000 bytes, of which alice has used 600
        try (TestServer server = TestServer.start(Map.of("media_quota", 1000))) {
            MediaRequests http = new MediaRequests(server.httpPort());
            String alice = token(server, "alice");
            assertEquals(201, http.upload(alice, "image/jpeg", new byte[600]).statusCode());

            // when she uploads 600 more
            HttpResponse<String> r = http.upload(alice, "image/jpeg", new byte[600]);

            // then it is refused, saying how much she has used, and nothing of it is kept
            assertEquals(507, r.statusCode(), r.body());
            assertEquals("quota_exceeded", MediaRequests.json(r).path("error").asText());
            assertEquals(1000, MediaRequests.json(r).path("quota_bytes").asLong());
            assertEquals(600, MediaRequests.json(r).path("used_bytes").asLong());
            assertEquals(1, storedFiles(server));
        }
    }

    @Test
    void aChunkedUploadIsStoppedWhereItPassesTheQuota() throws Exception {
        // given a quota of 1,000 bytes, none used
        try (TestServer server = TestServer.start(Map.of("media_quota", 1000))) {
            MediaRequests http = new MediaRequests(server.httpPort());
            String alice = token(server, "alice");

            // when she uploads 1,001 bytes without announcing the length
            HttpRequest chunked = http.post(alice, "image/jpeg",
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[1001]))).build();
            HttpResponse<String> r = http.send(chunked);

            // then it is refused while it is read
            assertEquals(507, r.statusCode(), r.body());
            assertEquals(0, storedFiles(server));
        }
    }

    @Test
    void anUploadStillStreamingCountsAgainstTheQuotaOfTheNextOne() throws Exception {
        // given a quota of 1,000 bytes, and alice's first upload has sent 600 bytes and is still going
        try (TestServer server = TestServer.start(Map.of("media_quota", 1000));
             Socket first = new Socket("127.0.0.1", server.httpPort())) {
            MediaRequests http = new MediaRequests(server.httpPort());
            String alice = token(server, "alice");
            startChunkedUpload(server, first, alice, 600);

            // when she uploads 600 more alongside
            HttpResponse<String> second = http.upload(alice, "image/jpeg", new byte[600]);

            // then that one is refused, and the first, finished, is kept
            assertEquals(507, second.statusCode(), second.body());
            assertEquals("HTTP/1.1 201 Created", finishChunkedUpload(first));
        }
    }

    @Test
    void anAnnouncedLengthCountsAgainstTheQuotaBeforeAnyByteArrives() throws Exception {
        // given a quota of 1,000 bytes, and alice has announced an upload of 800 and sent nothing yet
        try (TestServer server = TestServer.start(Map.of("media_quota", 1000));
             Socket first = new Socket("127.0.0.1", server.httpPort())) {
            MediaRequests http = new MediaRequests(server.httpPort());
            String alice = token(server, "alice");
            OutputStream out = first.getOutputStream();
            out.write(("POST /media HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + alice
                    + "\r\nContent-Type: video/mp4\r\nContent-Length: 800\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Await.until(() -> partialUploads(server) == 1, "the first upload to start");

            // when she uploads 300 more alongside
            HttpResponse<String> second = http.upload(alice, "image/jpeg", new byte[300]);

            // then that one is refused: the first holds its 800 already
            assertEquals(507, second.statusCode(), second.body());
        }
    }

    @Test
    void oneUsersUploadsDoNotCountAgainstAnothersQuota() throws Exception {
        // given alice has used all of a 1,000-byte quota
        try (TestServer server = TestServer.start(Map.of("media_quota", 1000))) {
            MediaRequests http = new MediaRequests(server.httpPort());
            assertEquals(201, http.upload(token(server, "alice"), "image/jpeg", new byte[1000]).statusCode());

            // when bob uploads
            HttpResponse<String> r = http.upload(token(server, "bob"), "image/jpeg", new byte[1000]);

            // then his upload is his own
            assertEquals(201, r.statusCode(), r.body());
        }
    }

    @Test
    void uploadsGet507WhileTheDiskIsBelowItsFloor() throws Exception {
        // given a floor of free space larger than any disk
        try (TestServer server = TestServer.start(Map.of("media_min_free_bytes", 1L << 50))) {
            MediaRequests http = new MediaRequests(server.httpPort());

            // when alice uploads
            HttpResponse<String> r = http.upload(token(server, "alice"), "image/jpeg", new byte[10]);

            // then it is refused, and nothing is kept
            assertEquals(507, r.statusCode(), r.body());
            assertEquals("insufficient_storage", MediaRequests.json(r).path("error").asText());
            assertEquals(0, storedFiles(server));
        }
    }

    /** Starts a chunked upload by {@code token} on {@code socket}, sends one chunk of {@code bytes}, and waits until the server has it. */
    private static void startChunkedUpload(TestServer server, Socket socket, String token, int bytes) throws Exception {
        startChunkedUpload(socket, token);
        OutputStream out = socket.getOutputStream();
        out.write((Integer.toHexString(bytes) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(new byte[bytes]);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        waitForPartialUpload(server, bytes);
    }

    /** Sends the headers of a chunked upload by {@code token} on {@code socket}. */
    private static void startChunkedUpload(Socket socket, String token) throws Exception {
        socket.getOutputStream().write(("POST /media HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** Ends the chunked upload on {@code socket}; returns the response's status line. */
    private static String finishChunkedUpload(Socket socket) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }

    private static String token(TestServer server, String user) throws Exception {
        try (Wire w = server.connect()) {
            w.register(user);
            return w.login(user).path("token").asText();
        }
    }

    /** Waits until an upload in progress has written {@code bytes} to its temporary file. */
    private static void waitForPartialUpload(TestServer server, long bytes) {
        Await.until(() -> {
            try (var files = Files.list(server.dataDir().resolve("media"))) {
                return files.anyMatch(f -> f.toString().endsWith(".part") && f.toFile().length() >= bytes);
            } catch (java.io.IOException e) {
                return false;
            }
        }, "an upload in progress to reach " + bytes + " bytes");
    }

    private static long partialUploads(TestServer server) {
        try (var files = Files.list(server.dataDir().resolve("media"))) {
            return files.filter(f -> f.toString().endsWith(".part")).count();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private static long storedFiles(TestServer server) throws Exception {
        try (var files = Files.list(server.dataDir().resolve("media"))) {
            return files.count();
        }
    }
}
