package loomchat.bench;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import loomchat.bench.SoakLedger.Count;
import loomchat.testing.TestServer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak's logic at a tiny size against an in-process server: a few seconds of churning load,
 * then the drain and the audit. It checks the soak's own bookkeeping, not the server's stamina.
 */
class SoakSmokeTest {

    @Test
    void shortSoakWithHeavyChurnDeliversEveryAcknowledgedMessage() throws Exception {
        try (TestServer server = TestServer.start()) {
            // given 24 users at 300 msgs/s, dropping or logging out about once every 3 s each
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            Soak.Options options = new Soak.Options("127.0.0.1", server.port(), ProcessHandle.current().pid(), 24,
                    Duration.ofSeconds(3), 300, 0.3, 20, 0.5, Duration.ofSeconds(1), Duration.ofSeconds(30), 42, false);

            // when it runs
            Soak.Result r = new Soak(options, new PrintStream(printed, true, StandardCharsets.UTF_8)).run();

            // then every acknowledged message reached each of its recipients, after real churn
            String output = printed.toString(StandardCharsets.UTF_8);
            assertTrue(r.passed(), output);
            assertTrue(r.count(Count.ACKNOWLEDGED) > 100, output);
            assertEquals(r.count(Count.EXPECTED), r.count(Count.DELIVERED), output);
            assertTrue(r.count(Count.DROPS) + r.count(Count.LOGOUTS) > 0, "churn happened: " + output);
            assertTrue(r.count(Count.RECONNECTS) > 0, output);
            assertTrue(r.count(Count.RECEIPTS_READ) > 0, output);
            assertNotNull(r.rss(), "RSS sampled");
            assertTrue(output.contains("PASS: sent = delivered"), output);
        }
    }
}
