package loomchat.server;

import loomchat.testing.ServerTest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The HTTP port's own bounds (HttpLimitsJarIT shows the JDK's server honouring them). */
class HttpFrontTest extends ServerTest {

    @Test
    void theJdksUnlimitedDefaultsAreBoundedOnceAServerRuns() {
        // given a running server (ServerTest started one), in a JVM where nobody set these
        assertEquals("10000", System.getProperty("jdk.httpserver.maxConnections"));
        assertEquals("300", System.getProperty("sun.net.httpserver.maxReqTime"));
        assertEquals("300", System.getProperty("sun.net.httpserver.maxRspTime"));
    }
}
