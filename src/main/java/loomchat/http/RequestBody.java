package loomchat.http;

import java.io.IOException;
import java.io.InputStream;

/**
 * A request's body as its framing bounds it: a {@code Content-Length}'s worth of bytes, or
 * chunks up to the last one. Either way it ends where the request does, so a handler can read
 * it to its end without reading into the next request.
 *
 * <p>Before its first byte is read it answers an {@code Expect: 100-continue} (a client that
 * asked waits for that, or for a refusal, before it sends the body), so a handler that refuses
 * a request without reading its body never invites the client to send it.
 */
abstract sealed class RequestBody extends InputStream {
    /** What to do before the first read: tell a waiting client to go on. */
    @FunctionalInterface
    interface BeforeFirstRead {
        void run() throws IOException;
    }

    final HttpInput in;
    private BeforeFirstRead beforeFirstRead;

    RequestBody(HttpInput in, BeforeFirstRead beforeFirstRead) {
        this.in = in;
        this.beforeFirstRead = beforeFirstRead;
    }

    /** Whether the body has been read to its end, so that the next request starts where the input is. */
    abstract boolean finished();

    /** Reads up to {@code len} bytes of the body; the first read runs the hook first. */
    abstract int readBody(byte[] b, int off, int len) throws IOException;

    @Override
    public final int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (beforeFirstRead != null) {
            BeforeFirstRead hook = beforeFirstRead;
            beforeFirstRead = null;
            if (!finished()) hook.run();
        }
        if (len == 0) return 0;
        return readBody(b, off, len);
    }

    @Override
    public final int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    /** {@code Content-Length} framing: exactly that many bytes. */
    static final class Fixed extends RequestBody {
        private long remaining;

        Fixed(HttpInput in, long length, BeforeFirstRead beforeFirstRead) {
            super(in, beforeFirstRead);
            this.remaining = length;
        }

        @Override
        boolean finished() {
            return remaining == 0;
        }

        @Override
        int readBody(byte[] b, int off, int len) throws IOException {
            if (remaining == 0) return -1;
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) throw new java.io.EOFException("the connection ended " + remaining + " bytes before the body's end");
            remaining -= n;
            return n;
        }
    }

    /**
     * {@code Transfer-Encoding: chunked}: hex sizes, each chunk's bytes, a zero size, and
     * trailer fields (read and dropped). Size lines and trailers are bounded like the head's lines.
     */
    static final class Chunked extends RequestBody {
        private static final int MAX_SIZE_LINE = 4096;
        private static final int MAX_TRAILERS = 64;
        /** How readLine says a line is too long; never sent: a broken chunked body ends the connection unanswered. */
        private static final HttpError LINE_TOO_LONG = new HttpError(400, "bad_chunk");

        private long remaining; // in the current chunk
        private boolean started;
        private boolean done;

        Chunked(HttpInput in, BeforeFirstRead beforeFirstRead) {
            super(in, beforeFirstRead);
        }

        @Override
        boolean finished() {
            return done;
        }

        @Override
        int readBody(byte[] b, int off, int len) throws IOException {
            if (done) return -1;
            if (remaining == 0) {
                if (started) endOfChunk();
                started = true;
                remaining = nextSize();
                if (remaining == 0) {
                    skipTrailers();
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) throw new java.io.EOFException("the connection ended in the middle of a chunk");
            remaining -= n;
            return n;
        }

        private void endOfChunk() throws IOException {
            if (!line(0).isEmpty()) throw new java.net.ProtocolException("a chunk did not end with CRLF");
        }

        private long nextSize() throws IOException {
            String line = line(MAX_SIZE_LINE);
            int semicolon = line.indexOf(';'); // chunk extensions: allowed (spaces or tabs before them too), ignored
            String hex = semicolon < 0 ? line : RequestReader.withoutTrailingSpace(line.substring(0, semicolon));
            // Hex digits only: Long.parseLong would also take a sign, and a negative size.
            boolean hexOnly = !hex.isEmpty() && hex.length() <= 15
                    && hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
            if (!hexOnly) throw new java.net.ProtocolException("bad chunk size: " + hex);
            return Long.parseLong(hex, 16);
        }

        private void skipTrailers() throws IOException {
            for (int i = 0; i <= MAX_TRAILERS; i++) {
                if (line(RequestReader.MAX_LINE).isEmpty()) return;
            }
            throw new java.net.ProtocolException("more than " + MAX_TRAILERS + " trailer fields");
        }

        /**
         * The next line of the framing, which must end in CRLF: a bare LF, which a proxy in front
         * may not take for a line's end, would let the two read different bodies.
         */
        private String line(int max) throws IOException {
            try {
                String line = in.readLine(max, LINE_TOO_LONG);
                if (line == null) throw new java.io.EOFException("the connection ended in a chunked body");
                if (!in.lastLineEndedInCrlf()) throw new java.net.ProtocolException("a chunked body's line ended in a bare LF");
                return line;
            } catch (HttpError e) {
                throw new java.net.ProtocolException("a chunk's line is longer than " + max + " bytes");
            }
        }
    }
}
