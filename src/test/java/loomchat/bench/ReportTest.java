package loomchat.bench;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import loomchat.protocol.ServerFrame;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a report says about a run's delivery and the server's write-back, and when it fails the run. */
class ReportTest {
    private final ByteArrayOutputStream warnings = new ByteArrayOutputStream();
    private final PrintStream warn = new PrintStream(warnings, true, StandardCharsets.UTF_8);

    /** A round of one receiver that got {@code numbers} of a stream of {@code messages}. */
    private static Delivery roundThatGot(String tag, int messages, int... numbers) {
        Delivery d = new Delivery(tag, messages, 1, new CountDownLatch(1), null);
        for (int n : numbers) {
            d.received(0, 0, new ServerFrame.Msg(n, "m", "s", "r", null, Stamp.body(tag, 0, n, 0, 48), null, 0));
        }
        return d;
    }

    private static ServerMetrics.Scrape metrics(double written, double skipped, double sent) {
        return new ServerMetrics.Scrape(true, Map.of(ServerMetrics.WRITTEN, written, ServerMetrics.SKIPPED, skipped,
                ServerMetrics.SENT, sent), null);
    }

    @Test
    void aWarmUpThatLostAMessageFailsTheRun() {
        // given an exact measured round after a warm-up that lost message 1
        Report r = new Report("relay").delivery(roundThatGot("t-measure", 2, 0, 1), roundThatGot("t-warm-up", 2, 0));

        // then the report says so, with the warm-up's counts, and the run is not verified
        assertEquals(true, r.get("exactly_once_in_order"));
        assertEquals(false, r.get("warmup_exactly_once_in_order"));
        assertEquals(1L, r.get("warmup_missing"));
        assertFalse(r.verified());
    }

    @Test
    void anExactWarmUpAndMeasuredRoundVerifyTheRun() {
        Report r = new Report("relay").delivery(roundThatGot("t-measure", 2, 0, 1), roundThatGot("t-warm-up", 1, 0));

        assertEquals(true, r.get("warmup_exactly_once_in_order"));
        assertNull(r.get("warmup_missing"), "the warm-up's counts only when it failed");
        assertTrue(r.verified());
    }

    @Test
    void writeBackIsTheGrowthOfTheServersCounters() {
        Report r = new Report("relay").writeBack(metrics(100, 0, 50), metrics(130, 10, 90), 40, warn);

        assertEquals(30L, r.get("inbox_items_written"));
        assertEquals(10L, r.get("inbox_items_skipped"));
        assertEquals(25.0, r.get("inbox_skipped_pct"));
        assertNull(r.get("write_back_unknown"));
    }

    @Test
    void aFailedScrapeLeavesWriteBackUnknownWithAWarning() {
        Report r = new Report("relay").writeBack(ServerMetrics.Scrape.failed("cannot read http://x/metrics"),
                metrics(130, 10, 90), 40, warn);

        assertEquals("cannot read http://x/metrics", r.get("write_back_unknown"));
        assertNull(r.get("inbox_items_written"));
        String printed = warnings.toString(StandardCharsets.UTF_8);
        assertEquals(1, printed.lines().count(), printed);
        assertTrue(printed.contains("cannot read http://x/metrics"), printed);
    }

    @Test
    void countersOfAServerThatDidNotSeeTheSendsAreNotReported() {
        // given a scraped server that counted 5 sends while the generator had 40 answered
        Report r = new Report("relay").writeBack(metrics(100, 0, 50), metrics(103, 2, 55), 40, warn);

        // then its write-back is not taken for the server under load's
        assertTrue(r.get("write_back_unknown").toString().contains("another server"), r.get("write_back_unknown").toString());
        assertNull(r.get("inbox_items_written"));
    }
}
