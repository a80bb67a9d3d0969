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
import loomchat.protocol.ServerFrame;
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

    @Test
    void aWriteThatEndsDuringAStuckCloseDoesNotHideTheClose() throws Exception {
        // given a writer in a write that will end on its own, and a close begun meanwhile that is stuck
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch writeMayEnd = new CountDownLatch(1);
        StuckSocket socket = new StuckSocket() {
            @Override
            public OutputStream getOutputStream() {
                return new OutputStream() {
                    @Override
                    public void write(int b) {
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        writing.countDown();
                        // a write that completes without parking again: the close's interrupt passes it by
                        while (true) {
                            try {
                                writeMayEnd.await();
                                return;
                            } catch (InterruptedException ignored) {
                                // as a socket write that had already copied its bytes
                            }
                        }
                    }
                };
            }
        };
        Outbox outbox = outboxOver(socket);
        outbox.reply(new ServerFrame.Pong("p"));
        assertTrue(writing.await(5, TimeUnit.SECONDS));
        Thread.ofVirtual().start(outbox::close);
        assertTrue(socket.closing.await(5, TimeUnit.SECONDS));

        // when the write ends
        writeMayEnd.countDown();
        Thread.sleep(100);

        // then the close is still timed, and the sweep cuts it
        assertTrue(outbox.cutIfStalled(TimeUnit.SECONDS.toNanos(30), System.nanoTime() + TimeUnit.HOURS.toNanos(1)));
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
    private static class StuckSocket extends Socket {
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
