package loomchat.bench;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rate on a progress line counts from the line before, or from when the phase began. */
class ProgressTest {
    private final PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @Test
    void aPhaseThatStartsWithACountShowsNoRateUntilItGrows() {
        try (Progress progress = new Progress(sink, "idle")) {
            // given 1,500 connections logged in, then held
            progress.show("hold", () -> 1500, "held", null, () -> 0);

            // when the first line of the hold is printed a second later
            String line = progress.line(System.nanoTime() + 1_000_000_000L);

            // then it shows them held, not 1,500 a second
            assertTrue(line.contains("1,500 held  0 held/s"), line);
        }
    }

    @Test
    void theFirstLineOfAPhaseCountsFromWhenThePhaseBegan() {
        try (Progress progress = new Progress(sink, "relay")) {
            // given a line of the warm-up, then a measured phase that began half a second later
            progress.show("warm-up", () -> 5000, "msgs", null, () -> 0);
            progress.line(System.nanoTime());
            AtomicLong measured = new AtomicLong();
            long begun = System.nanoTime();
            progress.show("measure", measured::get, "msgs", null, () -> 0);

            // when its first line comes 0.5 s after it began, with 1,000 messages
            measured.set(1000);
            String line = progress.line(begun + 500_000_000L);

            // then the rate is over those 0.5 s (about 2,000/s, the clock read inside show() a
            // moment after "begun"), not over the whole second since the warm-up's line
            assertTrue(line.matches(".*1,000 msgs  2,\\d\\d\\d msgs/s.*"), line);
        }
    }
}
