package loomchat.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bounded line reader under reads that split and join lines in every way a socket can. */
class LineReaderTest {

    /** A stream that hands out exactly the given chunks, one per read call, as a socket might. */
    static final class Chunks extends InputStream {
        private final Deque<byte[]> chunks = new ArrayDeque<>();
        int reads;

        Chunks(String... parts) {
            for (String p : parts) chunks.add(p.getBytes(StandardCharsets.UTF_8));
        }

        Chunks(List<byte[]> parts) {
            chunks.addAll(parts);
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException("LineReader reads in blocks");
        }

        @Override
        public int read(byte[] b, int off, int len) {
            reads++;
            byte[] c = chunks.poll();
            if (c == null) return -1;
            if (c.length > len) {
                chunks.addFirst(java.util.Arrays.copyOfRange(c, len, c.length));
                c = java.util.Arrays.copyOf(c, len);
            }
            System.arraycopy(c, 0, b, off, c.length);
            return c.length;
        }
    }

    /** Every frame the reader returns until EOF (TOO_LONG is recorded as "<too long>", blank lines are left out). */
    static List<String> lines(LineReader r) throws IOException {
        List<String> out = new ArrayList<>();
        while (true) {
            switch (r.next()) {
                case EOF -> {
                    return out;
                }
                case TOO_LONG -> {
                    out.add("<too long>");
                    return out;
                }
                case BLANK -> { }
                case FRAME -> out.add(new String(r.buffer(), r.offset(), r.length(), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void readsLinesThatArriveTogether() throws IOException {
        LineReader r = new LineReader(new Chunks("{\"a\":1}\n{\"b\":2}\n"), 1024);
        assertEquals(List.of("{\"a\":1}", "{\"b\":2}"), lines(r));
    }

    @Test
    void secondLineShorterThanTheFirstInASeparateRead() throws IOException {
        // Regression: after a long first line, a shorter second line in its own read was cut or lost.
        LineReader r = new LineReader(new Chunks("{\"type\":\"ping\",\"id\":\"long-request-id\"}\n", "{}\n"), 1024);
        assertEquals(List.of("{\"type\":\"ping\",\"id\":\"long-request-id\"}", "{}"), lines(r));
    }

    @Test
    void lineSplitAcrossManyReads() throws IOException {
        String line = "{\"type\":\"send\",\"id\":\"c1\",\"to\":\"bob\",\"body\":\"hello there\"}";
        List<byte[]> bytes = new ArrayList<>();
        for (byte b : (line + "\n").getBytes(StandardCharsets.UTF_8)) bytes.add(new byte[]{b});
        LineReader r = new LineReader(new Chunks(bytes), 1024);
        assertEquals(List.of(line), lines(r));
    }

    @Test
    void readSpanningTheEndOfOneLineAndTheStartOfTheNext() throws IOException {
        LineReader r = new LineReader(new Chunks("{\"a\":", "1}\n{\"b\"", ":2}\n{\"c\":3", "}\n"), 1024);
        assertEquals(List.of("{\"a\":1}", "{\"b\":2}", "{\"c\":3}"), lines(r));
    }

    @Test
    void carriageReturnBeforeNewlineIsDropped() throws IOException {
        LineReader r = new LineReader(new Chunks("{\"a\":1}\r\n{\"b\":2}\r", "\n"), 1024);
        assertEquals(List.of("{\"a\":1}", "{\"b\":2}"), lines(r));
    }

    @Test
    void blankLinesAreReportedAsBlankNotAsFrames() throws IOException {
        LineReader r = new LineReader(new Chunks("\n\r\n  \t\n{\"a\":1}\n", "\n", "\n{\"b\":2}\n"), 1024);

        List<LineReader.Line> seen = new ArrayList<>();
        for (LineReader.Line line = r.next(); line != LineReader.Line.EOF; line = r.next()) seen.add(line);

        assertEquals(List.of(LineReader.Line.BLANK, LineReader.Line.BLANK, LineReader.Line.BLANK, LineReader.Line.FRAME,
                LineReader.Line.BLANK, LineReader.Line.BLANK, LineReader.Line.FRAME), seen);
    }

    @Test
    void blankLinesCarryNoFrame() throws IOException {
        LineReader r = new LineReader(new Chunks("\n\r\n  \t\n{\"a\":1}\n", "\n", "\n{\"b\":2}\n"), 1024);
        assertEquals(List.of("{\"a\":1}", "{\"b\":2}"), lines(r));
    }

    @Test
    void lineOfExactlyTheLimitIsAccepted() throws IOException {
        String atLimit = "x".repeat(1024);
        LineReader r = new LineReader(new Chunks(atLimit + "\r\n"), 1024);
        assertEquals(List.of(atLimit), lines(r));
    }

    @Test
    void lineOverTheLimitIsTooLong() throws IOException {
        LineReader r = new LineReader(new Chunks("x".repeat(1025) + "\n"), 1024);
        assertEquals(List.of("<too long>"), lines(r));
    }

    @Test
    void tooLongIsReportedBeforeTheLineEnds() throws IOException {
        // given an endless line with no newline in sight
        InputStream endless = new InputStream() {
            long served;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (served > 1_000_000) throw new AssertionError("the reader kept reading an over-long line");
                java.util.Arrays.fill(b, off, off + len, (byte) 'x');
                served += len;
                return len;
            }
        };
        LineReader r = new LineReader(endless, 1024);

        // then it gives up once the limit is passed, holding no more than the limit
        assertEquals(LineReader.Line.TOO_LONG, r.next());
        assertTrue(r.buffer().length <= 1024 + 2, "buffer grew to " + r.buffer().length);
    }

    @Test
    void bufferShrinksBackAfterALongLine() throws IOException {
        String longLine = "y".repeat(10_000);
        LineReader r = new LineReader(new Chunks(longLine + "\n", "{\"a\":1}\n", "{\"b\":2}\n"), 65536);

        assertEquals(LineReader.Line.FRAME, r.next());
        assertEquals(10_000, r.length());
        assertTrue(r.buffer().length >= 10_000);

        assertEquals(LineReader.Line.FRAME, r.next());
        assertEquals("{\"a\":1}", new String(r.buffer(), r.offset(), r.length(), StandardCharsets.UTF_8));
        assertEquals(LineReader.INITIAL, r.buffer().length, "the grown buffer is given back");
        assertEquals(LineReader.Line.FRAME, r.next());
        assertEquals("{\"b\":2}", new String(r.buffer(), r.offset(), r.length(), StandardCharsets.UTF_8));
        assertEquals(LineReader.Line.EOF, r.next());
    }

    @Test
    void manyLinesOfVaryingLengthInRandomChunks() throws IOException {
        java.util.Random random = new java.util.Random(42);
        StringBuilder all = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            String line = "{\"n\":" + i + ",\"pad\":\"" + "z".repeat(random.nextInt(2000)) + "\"}";
            expected.add(line);
            all.append(line).append(random.nextBoolean() ? "\n" : "\r\n");
        }
        byte[] bytes = all.toString().getBytes(StandardCharsets.UTF_8);
        List<byte[]> chunks = new ArrayList<>();
        for (int at = 0; at < bytes.length; ) {
            int n = Math.min(bytes.length - at, 1 + random.nextInt(3000));
            chunks.add(java.util.Arrays.copyOfRange(bytes, at, at + n));
            at += n;
        }
        assertEquals(expected, lines(new LineReader(new Chunks(chunks), 4096)));
    }

    @Test
    void endOfStreamInsideALineIsEof() throws IOException {
        LineReader r = new LineReader(new Chunks("{\"a\":1}\n{\"b\""), 1024);
        assertEquals(List.of("{\"a\":1}"), lines(r));
    }
}
