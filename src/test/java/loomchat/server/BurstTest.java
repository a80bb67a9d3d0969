package loomchat.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** How a writer run's frames reach the socket: one write per burst, at most {@link Burst#LIMIT} bytes each. */
class BurstTest {

    /** Records each write it is given, as the socket's stream would receive them. */
    private static final class Writes extends ByteArrayOutputStream {
        final List<byte[]> calls = new ArrayList<>();

        @Override
        public void write(byte[] b, int off, int len) {
            calls.add(off == 0 && len == b.length ? b : java.util.Arrays.copyOfRange(b, off, off + len));
            super.write(b, off, len);
        }
    }

    private static byte[] frame(String json) {
        return (json + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void framesGatheredInOneRunGoOutInOneWrite() throws IOException {
        // given a burst holding a message, an ok and a receipt
        Writes socket = new Writes();
        Burst burst = new Burst(socket);
        burst.add(frame("{\"type\":\"msg\",\"seq\":7}"));
        burst.add(frame("{\"type\":\"ok\",\"id\":\"s1\"}"));
        burst.add(frame("{\"type\":\"receipt\",\"seq\":8}"));
        // when it is flushed
        burst.flush();
        // then the socket saw one write of all three, in order
        assertEquals(1, socket.calls.size());
        assertEquals("{\"type\":\"msg\",\"seq\":7}\n{\"type\":\"ok\",\"id\":\"s1\"}\n{\"type\":\"receipt\",\"seq\":8}\n",
                socket.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aLoneFrameIsWrittenAsItIsWithoutACopy() throws IOException {
        // given a burst of one frame
        Writes socket = new Writes();
        Burst burst = new Burst(socket);
        byte[] ok = frame("{\"type\":\"ok\",\"id\":\"1\"}");
        burst.add(ok);
        // when it is flushed
        burst.flush();
        // then the frame's own array was handed to the socket
        assertEquals(1, socket.calls.size());
        assertSame(ok, socket.calls.get(0));
    }

    @Test
    void aFrameThatWouldPassTheLimitSendsWhatIsHeldFirst() throws IOException {
        // given a burst holding 6,000 bytes
        Writes socket = new Writes();
        Burst burst = new Burst(socket);
        burst.add(new byte[6000]);
        // when a 3,000-byte frame is added, taking it past 8 KiB
        burst.add(new byte[3000]);
        // then the first went out alone, and the second waits for the flush
        assertEquals(1, socket.calls.size());
        assertEquals(6000, socket.calls.get(0).length);
        burst.flush();
        assertEquals(2, socket.calls.size());
        assertEquals(3000, socket.calls.get(1).length);
    }

    @Test
    void flushingAnEmptyBurstWritesNothing() throws IOException {
        Writes socket = new Writes();
        new Burst(socket).flush();
        assertEquals(0, socket.calls.size());
    }
}
