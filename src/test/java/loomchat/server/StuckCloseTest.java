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
        // given an outbox over a socket whose close blocks until the TCP socket beneath is closed
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
        assertTrue(socket.ended.await(5, TimeUnit.SECONDS), "the stuck close ended with the TCP socket");
    }

    @Test
    void theWritersOwnCloseIsLeftToFinishWhenTheConnectionEnds() throws Exception {
        // given a writer that wrote everything and is closing the socket politely (a TLS
        // close_notify, held up here until the TCP socket beneath is closed)
        StuckSocket socket = new StuckSocket();
        Outbox outbox = outboxOver(socket);
        outbox.finish();
        assertTrue(socket.closing.await(5, TimeUnit.SECONDS));

        // when the connection's own end closes the outbox too, as its try-with-resources does
        outbox.close();

        // then the polite close is not cut short (a cut would end the TLS stream without its
        // close_notify, which a strict client takes for truncation); the sweep still times it
        assertFalse(socket.rawClosed.await(200, TimeUnit.MILLISECONDS), "the TCP socket was cut under the close");
        assertTrue(outbox.cutIfStalled(TimeUnit.SECONDS.toNanos(30), System.nanoTime() + TimeUnit.HOURS.toNanos(1)));
        assertTrue(socket.ended.await(5, TimeUnit.SECONDS));
    }

    @Test
    void aCloseWhileAWriteIsStuckClosesTheTcpSocketBeneathIt() throws Exception {
        // given a writer stuck in a write to a client that does not read: it ends only when the
        // TCP socket beneath is closed
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch writeEnded = new CountDownLatch(1);
        StuckSocket socket = new StuckSocket() {
            @Override
            public OutputStream getOutputStream() {
                return new OutputStream() {
                    @Override
                    public void write(int b) {
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws java.io.IOException {
                        writing.countDown();
                        try {
                            rawClosed.await();
                        } catch (InterruptedException e) {
                            throw new AssertionError("no thread is interrupted", e);
                        } finally {
                            writeEnded.countDown();
                        }
                        throw new java.net.SocketException("Socket closed");
                    }
                };
            }
        };
        Outbox outbox = outboxOver(socket);
        outbox.reply(new ServerFrame.Pong("p"));
        assertTrue(writing.await(5, TimeUnit.SECONDS));

        // when the timer (a platform thread) closes the connection, as the idle sweep does
        assertTimeoutPreemptively(Duration.ofSeconds(5), outbox::close);

        // then the TCP socket is closed beneath the write, which ends, without waiting for a TLS close
        assertTrue(socket.rawClosed.await(5, TimeUnit.SECONDS));
        assertTrue(writeEnded.await(5, TimeUnit.SECONDS));
    }

    private static Outbox outboxOver(StuckSocket socket) throws Exception {
        // Only what an outbox uses: nothing here logs in, so the writer never pulls an inbox.
        Services services = new Services(ConfigLoader.of(Map.of()), new FrameCodec(65536), null, null, null, null, null,
                new Metrics(), null);
        return new Outbox(socket.raw, socket, services, () -> {
        });
    }

    /**
     * A socket whose close waits, as a TLS close_notify to a peer that does not read does, until
     * the TCP socket beneath ({@link #raw}) is closed.
     */
    private static class StuckSocket extends Socket {
        final CountDownLatch closing = new CountDownLatch(1);
        final CountDownLatch ended = new CountDownLatch(1);
        final CountDownLatch rawClosed = new CountDownLatch(1);
        final Socket raw = new Socket() {
            @Override
            public void close() {
                rawClosed.countDown();
            }
        };
        private volatile boolean closed;

        @Override
        public void close() {
            closing.countDown();
            try {
                rawClosed.await();
                closed = true;
                ended.countDown();
            } catch (InterruptedException e) {
                throw new AssertionError("no thread is interrupted", e);
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
