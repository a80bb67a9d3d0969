package loomchat.bench;

import java.util.concurrent.CountDownLatch;
import loomchat.protocol.ServerFrame;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How one round's receiving side names what arrived: each message of a stream once and in order
 * is exact; anything else is counted as missing, duplicate, out of order or misdelivered, and
 * never as one of the others.
 */
class DeliveryTest {
    /** One receiver (number 0) expecting stream 0 of {@code messages}. */
    private static Delivery round(String tag, int messages, Delivery earlier) {
        return new Delivery(tag, messages, 1, new CountDownLatch(1), earlier);
    }

    private static ServerFrame.Msg msg(String tag, int stream, int n) {
        String body = Stamp.body(tag, stream, n, System.nanoTime(), 64);
        return new ServerFrame.Msg(n, "m" + n, "sender", "receiver", null, body, null, 0);
    }

    private static void receive(Delivery d, String tag, int... numbers) {
        for (int n : numbers) d.received(0, 0, msg(tag, 0, n));
    }

    @Test
    void everyMessageOnceAndInOrderIsExact() {
        Delivery d = round("run-measure", 4, null);

        receive(d, "run-measure", 0, 1, 2, 3);

        assertTrue(d.exact());
        assertEquals(4, d.delivered.sum());
        assertEquals(0, d.missing());
    }

    @Test
    void oneLostMessageIsOneMissing() {
        // given a stream of 5
        Delivery d = round("run-measure", 5, null);

        // when message 1 never arrives
        receive(d, "run-measure", 0, 2, 3, 4);

        // then it is missing, and the messages after it are neither duplicates nor out of order
        assertEquals(1, d.missing());
        assertEquals(0, d.duplicates.sum());
        assertEquals(0, d.outOfOrder.sum());
        assertFalse(d.exact());
    }

    @Test
    void twoSwappedMessagesAreOutOfOrderAndNeitherMissingNorDuplicates() {
        Delivery d = round("run-measure", 4, null);

        receive(d, "run-measure", 0, 2, 1, 3);

        assertTrue(d.outOfOrder.sum() >= 1);
        assertEquals(0, d.duplicates.sum());
        assertEquals(0, d.missing());
        assertFalse(d.exact());
    }

    @Test
    void aRepeatedMessageIsOneDuplicate() {
        Delivery d = round("run-measure", 3, null);

        receive(d, "run-measure", 0, 1, 1, 2);

        assertEquals(1, d.duplicates.sum());
        assertEquals(0, d.outOfOrder.sum());
        assertEquals(0, d.missing());
        assertEquals(3, d.delivered.sum());
        assertFalse(d.exact());
    }

    @Test
    void aMessageOfAnotherStreamIsMisdeliveredNotADuplicate() {
        Delivery d = round("run-measure", 2, null);

        receive(d, "run-measure", 0, 1);
        d.received(0, 0, msg("run-measure", 7, 0)); // stream 7's receiver is someone else

        assertEquals(1, d.misdelivered.sum());
        assertEquals(0, d.duplicates.sum());
        assertFalse(d.exact());
    }

    @Test
    void onlyFirstArrivalsOfThisReceiversStreamAreTimed() {
        Delivery d = round("run-measure", 2, null);

        receive(d, "run-measure", 0, 0, 1);
        d.received(0, 0, msg("run-measure", 7, 1));

        assertEquals(2, d.latency.snapshot().getTotalCount());
    }

    @Test
    void aReceiverIsCompleteOnlyWhenItHasItsWholeStream() {
        // given a stream of 3 whose last message overtakes the one before it
        CountDownLatch done = new CountDownLatch(1);
        Delivery d = new Delivery("run-measure", 3, 1, done, null);

        // when the last arrives, the receiver still lacks message 1
        receive(d, "run-measure", 0, 2);
        assertEquals(1, done.getCount());

        // then the late message completes it
        receive(d, "run-measure", 1);
        assertEquals(0, done.getCount());
    }

    @Test
    void aWarmUpMessageRepeatedDuringTheMeasuredRoundIsAWarmUpDuplicate() {
        // given a complete warm-up, then the measured round under way
        Delivery warmUp = round("run-warm-up", 2, null);
        receive(warmUp, "run-warm-up", 0, 1);
        Delivery measured = round("run-measure", 2, warmUp);

        // when warm-up message 1 arrives again among the measured round's messages
        receive(measured, "run-measure", 0);
        measured.received(0, 0, msg("run-warm-up", 0, 1));
        receive(measured, "run-measure", 1);

        // then the warm-up is not exact, and the measured round neither ignores nor owns it
        assertEquals(1, warmUp.duplicates.sum());
        assertFalse(warmUp.exact());
        assertTrue(measured.exact());
        assertEquals(0, measured.stale.sum());
    }

    @Test
    void aLateWarmUpMessageArrivingDuringTheMeasuredRoundCompletesTheWarmUp() {
        Delivery warmUp = round("run-warm-up", 2, null);
        receive(warmUp, "run-warm-up", 0);
        Delivery measured = round("run-measure", 1, warmUp);

        measured.received(0, 0, msg("run-warm-up", 0, 1));

        assertTrue(warmUp.exact());
        assertEquals(0, measured.delivered.sum());
    }

    @Test
    void messagesOfOtherRunsAreStaleAndIgnored() {
        Delivery warmUp = round("run-warm-up", 1, null);
        Delivery measured = round("run-measure", 1, warmUp);

        measured.received(0, 0, msg("oldrun-measure", 0, 0));
        measured.received(0, 0, msg("oldrun-warm-up", 0, 0));
        receive(measured, "run-measure", 0);

        assertEquals(2, measured.stale.sum());
        assertTrue(measured.exact());
        assertEquals(0, warmUp.duplicates.sum() + warmUp.delivered.sum());
    }
}
