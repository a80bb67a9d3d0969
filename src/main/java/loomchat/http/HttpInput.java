package loomchat.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A connection's bytes in, buffered once for both the request's head (read a line at a time,
 * each line bounded) and its body (read through, from what the buffer holds first).
 *
 * <p>One buffer of {@value #BUFFER_BYTES} bytes per connection: a head's lines are copied out
 * of it as they end, so a head may be longer than the buffer, and a line may not be longer than
 * the bound its caller gives.
 */
final class HttpInput {
    static final int BUFFER_BYTES = 4096;

    private final InputStream in;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private int start;
    private int end;
    /** Whether the last line read ended in CRLF rather than a bare LF. */
    private boolean crlf;

    HttpInput(InputStream in) {
        this.in = in;
    }

    /**
     * The next line without its CRLF (or bare LF), as ISO-8859-1, or null at the end of the
     * stream before any byte of a line.
     *
     * @throws HttpError with {@code tooLong} if the line passes {@code maxBytes}
     * @throws java.io.EOFException if the stream ends in the middle of a line
     */
    String readLine(int maxBytes, HttpError tooLong) throws IOException, HttpError {
        byte[] line = null; // only for a line that spans refills
        int length = 0;
        while (true) {
            for (int i = start; i < end; i++) {
                if (buffer[i] != '\n') continue;
                int n = i - start;
                if (length + n > maxBytes + 1) throw tooLong; // + 1: its CR
                String s;
                if (line == null) {
                    s = text(buffer, start, n);
                } else {
                    line = grow(line, length + n);
                    System.arraycopy(buffer, start, line, length, n);
                    s = text(line, 0, length + n);
                }
                start = i + 1;
                return s;
            }
            int n = end - start;
            if (length + n > maxBytes + 1) throw tooLong;
            if (n > 0) {
                line = grow(line == null ? new byte[256] : line, length + n);
                System.arraycopy(buffer, start, line, length, n);
                length += n;
            }
            start = end = 0;
            int read = in.read(buffer, 0, buffer.length);
            if (read < 0) {
                if (length == 0) return null;
                throw new java.io.EOFException("the connection ended in the middle of a line");
            }
            end = read;
        }
    }

    /**
     * Waits until a byte is at hand without taking it: false if the stream ended first. Lets a
     * connection tell a client still deciding whether to send another request from one that started.
     */
    boolean await() throws IOException {
        if (start < end) return true;
        int read = in.read(buffer, 0, buffer.length);
        if (read <= 0) return false;
        start = 0;
        end = read;
        return true;
    }

    /** Reads up to {@code len} bytes, from the buffer first; -1 at the end of the stream. */
    int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (start < end) {
            int n = Math.min(len, end - start);
            System.arraycopy(buffer, start, b, off, n);
            start += n;
            return n;
        }
        return in.read(b, off, len);
    }

    /** Whether the last line {@link #readLine} returned ended in CRLF, as a chunked body's lines must. */
    boolean lastLineEndedInCrlf() {
        return crlf;
    }

    /** A line's text without its trailing CR. */
    private String text(byte[] b, int from, int length) {
        crlf = length > 0 && b[from + length - 1] == '\r';
        if (crlf) length--;
        return new String(b, from, length, StandardCharsets.ISO_8859_1);
    }

    private static byte[] grow(byte[] line, int needed) {
        if (needed <= line.length) return line;
        return java.util.Arrays.copyOf(line, Math.max(needed, line.length * 2));
    }
}
