package loomchat.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import loomchat.testing.ServerTest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The HTTP port's own bounds (HttpLimitsJarIT shows the JDK's server honouring them) and its
 * answer to paths it does not serve.
 */
class HttpFrontTest extends ServerTest {

    @Test
    void theJdksUnlimitedDefaultsAreBoundedOnceAServerRuns() {
        // given a running server (ServerTest started one), in a JVM where nobody set these
        assertEquals("10000", System.getProperty("jdk.httpserver.maxConnections"));
        assertEquals("300", System.getProperty("sun.net.httpserver.maxReqTime"));
        assertEquals("300", System.getProperty("sun.net.httpserver.maxRspTime"));
    }

    @Test
    void anUnknownPathGetsA404WithAJsonBody() throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (String path : new String[] {"/", "/foo", "/foo/bar", "/healthz", "/metrics/x"}) {
                // when a client asks for a path the server does not serve
                URI uri = URI.create("http://127.0.0.1:" + server.httpPort() + path);
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofString());

                // then the answer is the same small JSON body as every other HTTP error
                assertEquals(404, r.statusCode(), path);
                assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""),
                        path);
                assertEquals("{\"error\":\"not_found\"}", r.body(), path);
            }
        }
    }
}
