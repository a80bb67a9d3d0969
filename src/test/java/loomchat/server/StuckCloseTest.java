package loomchat.server;

import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import loomchat.config.ConfigLoader;
import loomchat.metrics.Metrics;
import loomchat.protocol.FrameCodec;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A socket whose close a peer holds up (a TLS close writes a {@code close_notify}, which waits
 * while the peer's window is full) stalls no thread that others need: the close is handed off the
 * server's timer, and timed like a write, so that the stall sweep cuts it.
 */
class StuckCloseTest {

    @Test
    void aCloseFromThePlatformTimerDoesNotWaitForAStuckSocket() throws Exception {
        // given an outbox over a socket whose close blocks until interrupted
        StuckSocket socket = new StuckSocket();
        Outbox outbox = outboxOver(socket);

        // when the timer (a platform thread) closes it, as the idle sweep does
        assertTimeoutPreemptively(Duration.ofSeconds(5), outbox::close);

        // then the close happens on another thread, which is still stuck in it
        assertTrue(socket.closing.await(5, TimeUnit.SECONDS));
        assertFalse(socket.ended.await(100, TimeUnit.MILLISECONDS));
    }

    @Test
    void aCloseHeldUpForLongerThanTheStallLimitIsCut() throws Exception {
        // given a close that is stuck
        StuckSocket socket = new StuckSocket();
        Outbox outbox = outboxOver(socket);
        outbox.close();
        assertTrue(socket.closing.await(5, TimeUnit.SECONDS));
        assertFalse(outbox.cutIfStalled(TimeUnit.SECONDS.toNanos(30), System.nanoTime()), "not stalled for 30 s yet");

        // when the stall sweep finds it past the limit
        boolean cut = outbox.cutIfStalled(TimeUnit.SECONDS.toNanos(30), System.nanoTime() + TimeUnit.SECONDS.toNanos(31));

        // then it is cut: the thread stuck in the close is freed
        assertTrue(cut);
        assertTrue(socket.ended.await(5, TimeUnit.SECONDS), "the stuck close was interrupted");
    }

    private static Outbox outboxOver(Socket socket) throws Exception {
        // Only what an outbox uses: nothing here logs in, so the writer never pulls an inbox.
        Services services = new Services(ConfigLoader.of(Map.of()), new FrameCodec(65536), null, null, null, null, null,
                new Metrics(), null);
        return new Outbox(socket, services, () -> {
        });
    }

    /** A socket whose close waits, as a TLS close_notify to a peer that does not read does, until interrupted. */
    private static final class StuckSocket extends Socket {
        final CountDownLatch closing = new CountDownLatch(1);
        final CountDownLatch ended = new CountDownLatch(1);
        private volatile boolean closed;

        @Override
        public void close() {
            closing.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                closed = true;
                ended.countDown();
            }
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public OutputStream getOutputStream() {
            return OutputStream.nullOutputStream();
        }
    }
}
