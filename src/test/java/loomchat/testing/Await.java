package loomchat.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Waits for a condition that becomes true on another thread, polling briefly instead of sleeping a fixed time. */
public final class Await {
    private Await() {
    }

    /** Returns once {@code condition} holds; fails the test if it does not within {@code timeout}. */
    public static void until(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out after " + timeout + " waiting for " + what);
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    public static void until(BooleanSupplier condition, String what) {
        until(condition, Duration.ofSeconds(10), what);
    }

    /**
     * Returns once {@code value} has not changed for {@code quiet}: for a state that another thread
     * reaches in steps, none of which can be waited on alone. Fails the test after 10 s.
     */
    public static void steady(LongSupplier value, Duration quiet, String what) {
        long[] last = {value.getAsLong(), System.nanoTime()};
        until(() -> {
            long now = value.getAsLong();
            if (now != last[0]) {
                last[0] = now;
                last[1] = System.nanoTime();
            }
            return System.nanoTime() - last[1] >= quiet.toNanos();
        }, what);
    }
}
