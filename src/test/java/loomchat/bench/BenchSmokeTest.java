package loomchat.bench;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import loomchat.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each workload of {@code loomchat bench} at a tiny size against a real server, so that the load
 * generator itself stays correct. Not a benchmark: it checks counts and verdicts, not speed.
 */
class BenchSmokeTest {
    static TestServer server;
    static Bench bench;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        Target target = Target.of("127.0.0.1", server.port(), server.httpPort(), 2, Duration.ofSeconds(5));
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        bench = new Bench(target, new TokenBook(null), null, quiet, 16);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void relayDeliversEveryMessageOnceInOrder() throws Exception {
        // given 3 pairs, each sender sending 20 messages with a window of 4
        Report r = new Relay(bench, new Workloads.RelayOptions(3, 20, 100, 4, 0, 5, Duration.ofSeconds(20), false)).run();

        // then all 60 arrived, verified (the warm-up's too), with latencies and the server's write-back counters
        assertNull(r.get("error"));
        assertEquals(true, r.get("exactly_once_in_order"));
        assertEquals(true, r.get("warmup_exactly_once_in_order"));
        assertTrue(r.verified());
        assertEquals(60L, r.get("delivered"));
        assertEquals(60L, r.get("send_to_receive_count"));
        assertEquals(60L, r.get("send_to_ok_count"));
        assertTrue(r.get("inbox_skipped_pct") != null, "metrics read from the HTTP port");
    }

    @Test
    void relayReadingAnotherServersMetricsSaysWriteBackIsUnknown() throws Exception {
        // given a second server, whose HTTP port the generator is (wrongly) given
        try (TestServer other = TestServer.start()) {
            Target target = Target.of("127.0.0.1", server.port(), other.httpPort(), 2, Duration.ofSeconds(5));
            ByteArrayOutputStream warnings = new ByteArrayOutputStream();
            Bench misdirected = new Bench(target, bench.tokens(), null,
                    new PrintStream(warnings, true, StandardCharsets.UTF_8), 16);

            // when a relay runs against the first server
            Report r = new Relay(misdirected, new Workloads.RelayOptions(2, 10, 64, 4, 0, 0, Duration.ofSeconds(20), false)).run();

            // then the other server's counters are not reported as its write-back, and a warning says why
            assertEquals(true, r.get("exactly_once_in_order"));
            assertNull(r.get("inbox_items_written"));
            assertTrue(r.get("write_back_unknown").toString().contains("another server"), String.valueOf(r.get("write_back_unknown")));
            assertTrue(warnings.toString(StandardCharsets.UTF_8).contains("write-back figures unknown"));
        }
    }

    @Test
    void openLoopRelaySendsOnSchedule() throws Exception {
        // given 2 pairs at 200 msgs/s in total, 10 messages each, all on one selector thread
        long start = System.nanoTime();
        Report r = new Relay(bench, new Workloads.RelayOptions(2, 10, 64, 4, 200, 0, Duration.ofSeconds(20), false)).run();

        // then all 20 arrived, and the schedule (10 sends 10 ms apart per sender) was kept
        assertEquals("one selector thread", r.get("client"));
        assertEquals(true, r.get("exactly_once_in_order"));
        assertEquals(20L, r.get("delivered"));
        assertTrue((double) r.get("elapsed_s") >= 0.09, "open loop waits for each send's scheduled time");
        assertTrue(System.nanoTime() - start > 90_000_000L);
    }

    @Test
    void openLoopOnClientThreadsDeliversEveryMessageOnceInOrder() throws Exception {
        // given 2 pairs at 200 msgs/s, each connection a ChatClient with its own thread, after a warm-up
        Report r = new Relay(bench, new Workloads.RelayOptions(2, 10, 64, 4, 200, 5, Duration.ofSeconds(20), true)).run();

        // then all 20 of the measured round arrived, verified
        assertEquals("a ChatClient and virtual thread each", r.get("client"));
        assertEquals(true, r.get("exactly_once_in_order"));
        assertEquals(20L, r.get("delivered"));
    }

    @Test
    void idleHoldsEveryConnectionLoggedIn() throws Exception {
        Report r = new Idle(bench, new Idle.Options(12, Duration.ZERO)).run();

        assertEquals(12L, r.get("logged_in"));
        assertEquals(12L, r.get("still_open_after_hold"));
        assertEquals(0L, r.get("errors"));
    }

    @Test
    void reconnectBringsEveryClientBack() throws Exception {
        Report r = new Reconnect(bench, new Reconnect.Options(12, 1)).run();

        assertNull(r.get("error"));
        assertEquals(12L, r.get("back"));
        assertEquals(0L, r.get("errors"));
        assertEquals(0L, r.get("password_logins"), "every client came back by token");
        assertEquals(16, r.get("concurrency"));
    }

    @Test
    void groupFanoutReachesEveryMemberOnceInOrder() throws Exception {
        // given a group of 6 (1 sender, 5 receivers) and 10 messages
        Report r = new GroupFanout(bench, new Workloads.GroupOptions(6, 10, 100, 4, 2, Duration.ofSeconds(20))).run();

        // then 50 deliveries, verified (the warm-up's too)
        assertNull(r.get("error"));
        assertEquals(true, r.get("exactly_once_in_order"));
        assertEquals(true, r.get("warmup_exactly_once_in_order"));
        assertEquals(50L, r.get("deliveries"));
    }

    @Test
    void serverProbeReadsProcFiles() {
        ServerProbe self = new ServerProbe(ProcessHandle.current().pid());

        assertTrue(self.rssKiB() > 0);
        // Not peak >= rss: the kernel keeps per-thread RSS counts and folds them in lazily, so two
        // reads a moment apart may disagree by a few pages.
        assertTrue(self.peakRssKiB() > 0);
        assertTrue(self.cpuSeconds() > 0);
    }

    @Test
    void serverProbeWeighsLiveAndCommittedHeap() throws Exception {
        // given this JVM as the "server", asked through jcmd as idle asks the real one
        ServerProbe self = new ServerProbe(ProcessHandle.current().pid());

        // when its live heap (class histogram after a full GC) and committed heap are read
        long live = ServerProbe.liveHeapBytes(self.pid(), Duration.ofSeconds(60));
        long committedKiB = self.heapCommittedKiB();

        // then both are there, and the live data fits in what is committed
        assertTrue(live > 0, "live heap " + live);
        assertTrue(committedKiB > 0, "committed heap " + committedKiB);
        assertTrue(live <= committedKiB * 1024, live + " live bytes in " + committedKiB + " KiB committed");
    }

    @Test
    void openLoopReportsTheMachinesShareOfCpu() throws Exception {
        // when a short open-loop relay runs
        Report r = new Relay(bench, new Workloads.RelayOptions(2, 10, 64, 4, 200, 0, Duration.ofSeconds(20), false)).run();

        // then it says how busy the machine was, and what the generator itself used
        double busy = (double) r.get("machine_busy_pct");
        assertTrue(busy >= 0 && busy <= 100, "machine_busy_pct " + busy);
        assertTrue((double) r.get("generator_cpu_s") >= 0);
    }

    @Test
    void stampRoundTripsThroughABody() {
        String body = Stamp.body("run1-measure", 7, 42, 123456789L, 100);

        assertEquals(100, body.length());
        assertEquals(new Stamp("run1-measure", 7, 42, 123456789L), Stamp.parse(body));
        assertNull(Stamp.parse("hello there"));
    }
}
