package loomchat.bench;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** How the probe reads a server's committed heap from {@code GC.heap_info}, and restarts its peak RSS. */
class ServerProbeTest {
    private static final String METASPACE = " Metaspace       used 8967K, committed 9152K, reserved 1114112K";
    private static final String CLASS_SPACE = "  class space    used 1062K, committed 1152K, reserved 1048576K";

    @Test
    void committedHeapOfG1OnJdk21IsItsTotalNotMetaspacesCommitted() {
        List<String> info = List.of("12345:",
                " garbage-first heap   total 262144K, used 12345K [0x0000000687400000, 0x0000000800000000)",
                "  region size 2048K, 3 young (6144K), 1 survivors (2048K)", METASPACE, CLASS_SPACE);

        assertEquals(262144, ServerProbe.heapCommittedKiB(info));
    }

    @Test
    void committedHeapOfG1OnLaterJdksIsItsCommittedNotItsReserved() {
        List<String> info = List.of("12345:",
                " garbage-first heap   total reserved 2097152K, committed 262144K, used 12486K [0x0000000687400000, "
                        + "0x0000000800000000)",
                " region size 4096K, 3 young (12288K), 1 survivors (4096K)", METASPACE, CLASS_SPACE);

        assertEquals(262144, ServerProbe.heapCommittedKiB(info));
    }

    @Test
    void committedHeapOfParallelGcIsTheSumOfItsGenerations() {
        List<String> info = List.of("12345:",
                " PSYoungGen      total 113152K, used 21412K [0x0000000782700000, 0x000000078a500000, 0x0000000800000000)",
                "  eden space 97280K, 22% used [0x0000000782700000,0x0000000783be9350,0x0000000788600000)",
                " ParOldGen       total 258048K, used 0K [0x0000000687400000, 0x0000000697000000, 0x0000000782700000)",
                "  object space 258048K, 0% used [0x0000000687400000,0x0000000687400000,0x0000000697000000)",
                METASPACE, CLASS_SPACE);

        assertEquals(113152 + 258048, ServerProbe.heapCommittedKiB(info));
    }

    @Test
    void aHeapPrintedInAnotherShapeIsUnknownRatherThanMetaspace() {
        List<String> info = List.of("12345:", " ZHeap           used 52M, capacity 378M, max capacity 6028M",
                METASPACE, CLASS_SPACE);

        assertEquals(-1, ServerProbe.heapCommittedKiB(info));
    }

    @Test
    void restartingThePeakRssBringsItDownToTheRssNow() throws Exception {
        // given this JVM, whose peak RSS was raised by 64 MiB of native memory since given back
        ServerProbe self = new ServerProbe(ProcessHandle.current().pid());
        ByteBuffer buffer = ByteBuffer.allocateDirect(64 << 20);
        for (int i = 0; i < buffer.capacity(); i += 4096) buffer.put(i, (byte) 1);
        buffer = null;
        for (int i = 0; i < 50 && self.rssKiB() > self.peakRssKiB() - 48 * 1024; i++) {
            System.gc(); // frees the buffer's memory once its cleaner runs
            Thread.sleep(100);
        }
        assumeTrue(self.rssKiB() <= self.peakRssKiB() - 48 * 1024, "the freed buffer left the RSS");
        assertEquals("start", self.peakRssSince());

        // when the peak restarts
        assertTrue(self.restartPeakRss(), "this process's clear_refs is writable");

        // then it is about the RSS now, far below the old peak, and says it counts from here
        long slackKiB = 8 * 1024; // the JVM goes on allocating between the two reads
        assertTrue(self.peakRssKiB() <= self.rssKiB() + slackKiB, self.peakRssKiB() + " KiB peak, " + self.rssKiB() + " now");
        assertEquals("measure", self.peakRssSince());
    }
}
