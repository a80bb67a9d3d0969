package loomchat.http;

import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.Map;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP port as a client meets it: requests on kept connections, the head's bounds, framing
 * that could be read two ways refused, {@code Expect: 100-continue}, and the limits that keep
 * one client from holding the port (deadlines, connections per address). The exact bytes sent
 * are in each test; {@code /health} stands for any route.
 */
class HttpPortTest extends ServerTest {

    @Override
    protected Map<String, ?> settings() {
        return Map.of("http_header_timeout", "500ms", "http_idle_timeout", "1s", "http_per_address", 4);
    }

    @Test
    void twoRequestsTravelOnOneKeptConnection() throws Exception {
        try (RawHttp http = new RawHttp(server.httpPort())) {
            // when a client sends two requests, one after the other, on one connection
            RawHttp.Response first = http.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").read();
            RawHttp.Response second = http.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").read();

            // then both are answered, and the connection stays open for more
            assertEquals(200, first.status());
            assertEquals("ok\n", first.body());
            assertEquals(200, second.status());
            assertNull(second.header("Connection"));
            // (RFC 9110's IMF-fixdate: the day in two digits)
            assertTrue(second.header("Date").matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"),
                    second.header("Date"));
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttp http = new RawHttp(server.httpPort())) {
            // when a client sends three requests before reading any answer
            http.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

            // then the answers come in the same order, and the last one ends the connection
            assertEquals(200, http.read().status());
            assertEquals(404, http.read().status());
            RawHttp.Response last = http.read();
            assertEquals(200, last.status());
            assertEquals("close", last.header("Connection"));
            assertTrue(http.closedByServer());
        }
    }

    @Test
    void anUnknownPathGetsA404WithAJsonBody() throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            for (String path : new String[] {"/", "/foo", "/foo/bar", "/healthz", "/metrics/x", "/mediax"}) {
                // when a client asks for a path the server does not serve
                var r = client.send(java.net.http.HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.httpPort() + path)).build(), BodyHandlers.ofString());

                // then the answer is the same small JSON body as every other HTTP error
                assertEquals(404, r.statusCode(), path);
                assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""), path);
                assertEquals("{\"error\":\"not_found\"}", r.body(), path);
            }
        }
    }

    @Test
    void aHeadRequestGetsTheHeadersWithoutTheBody() throws Exception {
        try (RawHttp http = new RawHttp(server.httpPort())) {
            // when a client asks for the head only, then for the whole
            RawHttp.Response head = http.send("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n").read(false);
            RawHttp.Response get = http.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").read();

            // then the first answer announces the body's length without sending it
            assertEquals(200, head.status());
            assertEquals("3", head.header("Content-Length"));
            assertEquals("ok\n", get.body());
        }
    }

    @Test
    void aClientThatNeverFinishesItsHeadIsDisconnectedAfterTheHeaderTimeout() throws Exception {
        try (RawHttp slow = new RawHttp(server.httpPort())) {
            long started = System.nanoTime();

            // when a client starts a request and never ends its head (http_header_timeout: 500ms)
            slow.send("GET /health HTTP/1.1\r\nHost: x\r\n");

            // then the server closes the connection without an answer
            assertTrue(slow.closedByServer());
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(millis >= 400 && millis < 5000, "closed after " + millis + " ms");
        }
    }

    @Test
    void aKeptConnectionWithoutANextRequestIsClosedAfterTheIdleTimeout() throws Exception {
        try (RawHttp http = new RawHttp(server.httpPort())) {
            // given a connection kept after one answer
            assertEquals(200, http.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").read().status());
            long answered = System.nanoTime();

            // when the client sends nothing more (http_idle_timeout: 1s)
            // then the server closes it, later than a head would have had to arrive
            assertTrue(http.closedByServer());
            long millis = (System.nanoTime() - answered) / 1_000_000;
            assertTrue(millis >= 900 && millis < 6000, "closed after " + millis + " ms");
        }
    }

    @Test
    void oneAddressPastItsLimitIsAnswered429WhileAnotherAddressIsServed() throws Exception {
        // given one address holding its four connections (http_per_address: 4), sending nothing
        InetAddress greedy = InetAddress.getByName("127.0.0.1");
        RawHttp[] held = new RawHttp[4];
        for (int i = 0; i < held.length; i++) held[i] = new RawHttp(server.httpPort(), greedy);
        assertEquals(200, held[0].send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").read().status()); // all four are in

        try (RawHttp fifth = new RawHttp(server.httpPort(), greedy);
             RawHttp other = new RawHttp(server.httpPort(), InetAddress.getByName("127.0.0.2"))) {
            // when it opens a fifth, and a client at another address opens one
            RawHttp.Response refused = fifth.read();
            RawHttp.Response served = other.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").read();

            // then the fifth is refused and closed, and the other client is served
            assertEquals(429, refused.status());
            assertEquals("{\"error\":\"too_many_connections\"}", refused.body());
            assertEquals("close", refused.header("Connection"));
            assertTrue(fifth.closedByServer());
            assertEquals(200, served.status());
        } finally {
            for (RawHttp h : held) h.close();
        }
    }

    @Test
    void aClientThatPipelinesRequestsAndNeverReadsIsCutAfterTheHeaderTimeout() throws Exception {
        // given a client that reads nothing, into a small receive window
        java.net.Socket greedy = new java.net.Socket();
        greedy.setReceiveBufferSize(2048);
        greedy.connect(new java.net.InetSocketAddress("127.0.0.1", server.httpPort()));
        try (greedy) {
            // when it sends request after request (on a thread of its own: its writes block once
            // the server stops reading, itself blocked on answers nobody reads)
            Thread sender = Thread.ofVirtual().start(() -> {
                byte[] request = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                try {
                    while (true) greedy.getOutputStream().write(request);
                } catch (java.io.IOException closed) {
                    // the server cut it
                }
            });

            // then the server cuts it once an answer has waited the head's deadline (500ms), not
            // the transfer deadline (300 s) that a download may take
            loomchat.testing.Await.until(() -> server.server().metrics().gaugeValue("loomchat_http_connections_open") == 0,
                    "the connection to be cut");
            sender.join(5000);
        }
    }

    // What could let two parties disagree on where a request ends, or is malformed, is refused
    // with a JSON error, and the connection ends: nothing after it is read as a request.

    @Test
    void aLengthTogetherWithChunkedFramingIsRefused() throws Exception {
        // (the start of request smuggling: a proxy in front may read one framing, we the other)
        assertRefused("POST /media HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                400, "length_and_transfer_encoding");
    }

    @Test
    void twoDifferentLengthsAreRefused() throws Exception {
        assertRefused("POST /media HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
                400, "bad_content_length");
    }

    @Test
    void aTransferCodingOtherThanChunkedIsRefused() throws Exception {
        assertRefused("POST /media HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                501, "transfer_encoding_not_supported");
    }

    @Test
    void aHttp10RequestWithATransferCodingIsRefused() throws Exception {
        assertRefused("POST /media HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n0\r\n\r\n",
                400, "bad_request");
    }

    @Test
    void aControlCharacterAtTheEdgeOfAFieldValueIsRefusedNotTrimmed() throws Exception {
        // (a trim to whitespace would drop the vertical tab, and a proxy might read another coding)
        assertRefused("POST /media HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\u000b\r\n\r\n", 400, "bad_request");
    }

    @Test
    void aFieldFoldedOverTwoLinesIsRefused() throws Exception {
        assertRefused("GET /health HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n", 400, "bad_request");
    }

    @Test
    void aTargetThatIsNotAPathIsRefused() throws Exception {
        assertRefused("GET health HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request");
    }

    @Test
    void aDownloadNobodyReadsIsCutAtTheTransferDeadline() throws Exception {
        // given a server whose downloads must be through within a second, and a 16 MB upload (more
        // than the kernel buffers hold, so that the server's write blocks)
        server.close();
        server = loomchat.testing.TestServer.start(Map.of("http_transfer_timeout", "1s"));
        String token = token("alice");
        String id;
        try (HttpClient client = HttpClient.newHttpClient()) {
            var up = client.send(java.net.http.HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.httpPort() + "/media"))
                    .header("Authorization", "Bearer " + token)
                    .POST(BodyPublishers.ofByteArray(new byte[16_000_000])).build(), BodyHandlers.ofString());
            id = new com.fasterxml.jackson.databind.ObjectMapper().readTree(up.body()).path("media").asText();
        }
        java.net.Socket reader = new java.net.Socket();
        reader.setReceiveBufferSize(4096);
        reader.connect(new java.net.InetSocketAddress("127.0.0.1", server.httpPort()));
        try (reader) {
            // when a client asks for it and never reads (the server's write blocks on a full window)
            reader.getOutputStream().write(("GET /media/" + id + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + token + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));

            // then the sweep closes the connection at the deadline: a blocking write has no timeout of its own
            loomchat.testing.Await.until(
                    () -> server.server().metrics().gaugeValue("loomchat_http_connections_open") == 0,
                    "the stuck download to be cut");
        }
    }

    @Test
    void aHttp11RequestWithoutAHostIsRefused() throws Exception {
        assertRefused("GET /health HTTP/1.1\r\n\r\n", 400, "bad_host");
    }

    @Test
    void aHeadOfTooManyFieldsIsRefusedWith431() throws Exception {
        assertRefused("GET /health HTTP/1.1\r\nHost: x\r\n" + "X-Field: v\r\n".repeat(101) + "\r\n",
                431, "headers_too_large");
    }

    @Test
    void aVersionOtherThanHttp1IsRefusedWith505() throws Exception {
        assertRefused("GET /health HTTP/2.0\r\n\r\n", 505, "http_version_not_supported");
    }

    @Test
    void aChunkedBodyWhoseLineEndsInABareLfEndsTheConnection() throws Exception {
        String token = token("alice");
        try (RawHttp http = new RawHttp(server.httpPort())) {
            // when a chunk size line ends in LF alone, which a proxy in front may not take for its end
            http.send("POST /media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5;a\nhello\r\n0\r\n\r\n");

            // then the connection ends without a 201
            assertTrue(http.closedByServer());
        }
    }

    @Test
    void anHttp10RequestEndsItsConnectionEvenIfItAsksToKeepIt() throws Exception {
        try (RawHttp http = new RawHttp(server.httpPort())) {
            RawHttp.Response r = http.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();

            assertEquals(200, r.status());
            assertEquals("close", r.header("Connection"));
            assertTrue(http.closedByServer());
        }
    }

    @Test
    void aChunkedUploadWithExtensionsAndTrailersIsStoredWhole() throws Exception {
        String token = token("alice");
        try (RawHttp http = new RawHttp(server.httpPort())) {
            // when a client uploads "hello world" in two chunks, one with an extension, then a trailer
            RawHttp.Response r = http.send("POST /media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n"
                    + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "6;note=first\r\nhello \r\n5\r\nworld\r\n0\r\nX-Trailer: ignored\r\n\r\n").read();

            // then the eleven bytes are stored, and the connection is ready for the next request
            assertEquals(201, r.status(), r.body());
            assertTrue(r.body().contains("\"size\":11"), r.body());
            assertEquals(200, http.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").read().status());
        }
    }

    @Test
    void aSignedChunkSizeEndsTheConnectionWithoutStoringAnything() throws Exception {
        String token = token("alice");
        try (RawHttp http = new RawHttp(server.httpPort())) {
            // when a chunk size carries a sign, which Java's own number parser would take
            http.send("POST /media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n");

            // then the connection ends without a 201
            assertTrue(http.closedByServer());
        }
    }

    @Test
    void expectContinueIsAnsweredBeforeTheBodyIsSent() throws Exception {
        String token = token("alice");
        try (RawHttp http = new RawHttp(server.httpPort())) {
            // when a client announces a body and waits for leave to send it
            RawHttp.Response go = http.send("POST /media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n"
                    + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n").read(false);

            // then it is told to go on, and its body, once sent, is stored
            assertEquals(100, go.status());
            RawHttp.Response stored = http.send("hello").read();
            assertEquals(201, stored.status(), stored.body());
        }
    }

    @Test
    void anUploadRefusedBeforeItsBodyDoesNotInviteTheBody() throws Exception {
        try (RawHttp http = new RawHttp(server.httpPort())) {
            // when a client without a token announces a large body and waits
            RawHttp.Response r = http.send("POST /media HTTP/1.1\r\nHost: x\r\nContent-Length: 16000000\r\n"
                    + "Expect: 100-continue\r\n\r\n").read();

            // then the first answer is the refusal, not a 100, and the connection ends
            assertEquals(401, r.status());
            assertEquals("close", r.header("Connection"));
            assertTrue(http.closedByServer());
        }
    }

    @Test
    void aRefusedUploadsAnswerReachesAClientStillSendingItsBody() throws Exception {
        // given a body well beyond the socket buffers, which the server will not read
        byte[] body = new byte[8 * 1024 * 1024];
        try (HttpClient client = HttpClient.newHttpClient()) {
            // when a client without a token sends it whole
            var r = client.send(java.net.http.HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.httpPort() + "/media"))
                    .POST(BodyPublishers.ofByteArray(body)).build(), BodyHandlers.ofString());

            // then it reads the 401, not a reset
            assertEquals(401, r.statusCode());
        }
    }

    /** Sends {@code request} on a new connection; expects {@code status} with {@code {"error":code}}, then the connection's end. */
    private void assertRefused(String request, int status, String code) throws Exception {
        try (RawHttp http = new RawHttp(server.httpPort())) {
            RawHttp.Response r = http.send(request).read();

            assertEquals(status, r.status(), r.body());
            assertEquals("{\"error\":\"" + code + "\"}", r.body());
            assertEquals("close", r.header("Connection"));
            assertTrue(http.closedByServer());
        }
    }

    private String token(String user) throws Exception {
        try (Wire wire = server.connect()) {
            wire.register(user);
            return wire.login(user).path("token").asText();
        }
    }
}
