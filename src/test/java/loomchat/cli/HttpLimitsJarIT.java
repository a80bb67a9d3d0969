package loomchat.cli;

import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import loomchat.testing.ServerJar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP port's time limits, which the JDK's server leaves unlimited by default. They are
 * JVM-wide and read once, so the test runs the jar as its own process, with the request limit
 * lowered from its default (300 s) the way an operator would lower it.
 */
class HttpLimitsJarIT {
    @TempDir
    Path dataDir;
    @TempDir
    Path workDir;

    @Test
    void aClientThatNeverFinishesItsRequestIsDisconnected() throws Exception {
        try (ServerJar jar = new ServerJar(workDir).withJvmOptions("-Dsun.net.httpserver.maxReqTime=1");
             Socket slow = new Socket("127.0.0.1", jar.serve(dataDir).httpPort())) {
            slow.setSoTimeout(20_000);
            long started = System.nanoTime();

            // when a client starts a request and never ends its headers
            slow.getOutputStream().write("GET /health HTTP/1.1\r\nHost: loomchat\r\n".getBytes(StandardCharsets.US_ASCII));

            // then the server closes the connection, long before the test would give up
            InputStream in = slow.getInputStream();
            try {
                while (in.read() >= 0) {
                    // nothing is answered to an unfinished request
                }
            } catch (SocketException reset) {
                // closed with a reset: as good
            }
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            assertTrue(seconds < 15, "closed after " + seconds + " s");
        }
    }
}
