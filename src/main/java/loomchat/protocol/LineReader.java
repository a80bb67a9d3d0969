package loomchat.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads newline-ended lines from a stream without ever holding more than a bounded line.
 *
 * <p>The buffer starts small ({@value #INITIAL} bytes: most frames are short and a million
 * idle connections must stay cheap), grows only while a long line is being read, and shrinks
 * back after it. A line longer than the limit is reported as {@link Line#TOO_LONG}; the caller
 * decides what to do (the server closes the connection, since the rest of that line cannot be
 * trusted to resynchronise). A {@code \r} before the {@code \n} is dropped. A blank line is
 * reported as {@link Line#BLANK}, not skipped: it carries no frame, but a client may send it as a
 * keep-alive, and the server's idle clock must see it.
 */
public final class LineReader {
    public static final int INITIAL = 512;

    /** What {@link #next()} found. */
    public enum Line { FRAME, BLANK, TOO_LONG, EOF }

    private final InputStream in;
    private final int maxLine;
    private byte[] buf = new byte[INITIAL];
    private int start;   // first byte of the current line
    private int end;     // end of valid data in buf
    private int lineStart;
    private int lineLength;

    public LineReader(InputStream in, int maxLine) {
        this.in = in;
        this.maxLine = maxLine;
    }

    /** Reads the next line; afterwards {@link #buffer()}, {@link #offset()}, {@link #length()} show a {@link Line#FRAME}. */
    public Line next() throws IOException {
        int scanFrom = start;
        while (true) {
            int nl = indexOf((byte) '\n', scanFrom, end);
            if (nl >= 0) {
                int len = nl - start;
                if (len > 0 && buf[nl - 1] == '\r') len--;
                lineStart = start;
                lineLength = len;
                start = nl + 1;
                if (len > maxLine) return Line.TOO_LONG;
                return isBlank(buf, lineStart, len) ? Line.BLANK : Line.FRAME;
            }
            int scanned = end - start; // searched already; fill() may move the partial line to the front
            if (scanned > maxLine + 1) return Line.TOO_LONG; // +1: a trailing \r may still come
            if (!fill()) return Line.EOF;
            scanFrom = start + scanned;
        }
    }

    public byte[] buffer() {
        return buf;
    }

    public int offset() {
        return lineStart;
    }

    public int length() {
        return lineLength;
    }

    /** Makes room and reads more bytes; false at end of stream. */
    private boolean fill() throws IOException {
        if (start > 0) {
            // Compact: move the partial line to the front, shrinking a grown buffer when it fits again.
            int pending = end - start;
            byte[] target = buf.length > INITIAL && pending < INITIAL / 2 ? new byte[INITIAL] : buf;
            System.arraycopy(buf, start, target, 0, pending);
            buf = target;
            end = pending;
            start = 0;
        }
        if (end == buf.length) {
            int limit = maxLine + 2;
            buf = Arrays.copyOf(buf, Math.min(Math.max(buf.length * 2, INITIAL), Math.max(limit, buf.length + 1)));
        }
        int n = in.read(buf, end, buf.length - end);
        if (n < 0) return false;
        end += n;
        return true;
    }

    private int indexOf(byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == b) return i;
        }
        return -1;
    }

    private static boolean isBlank(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] != ' ' && b[i] != '\t') return false;
        }
        return true;
    }
}
