package loomchat.bench;

/**
 * What a bench message carries in its body: the run it belongs to, its stream (the sending pair),
 * its number in the stream and when it was (or was due to be) sent, padded to the chosen size.
 * {@link System#nanoTime} is per process, which is fine: the generator sends and receives.
 */
record Stamp(String tag, int stream, int n, long nanos) {

    /** {@code tag:stream:n:nanos:} followed by filler up to {@code bytes} characters. */
    static String body(String tag, int stream, int n, long nanos, int bytes) {
        StringBuilder b = new StringBuilder(Math.max(bytes, 48));
        b.append(tag).append(':').append(stream).append(':').append(n).append(':').append(nanos).append(':');
        while (b.length() < bytes) b.append('x');
        return b.toString();
    }

    /** The stamp in a body, or null if the body is not a bench message. */
    static Stamp parse(String body) {
        int a = body.indexOf(':');
        int b = a < 0 ? -1 : body.indexOf(':', a + 1);
        int c = b < 0 ? -1 : body.indexOf(':', b + 1);
        int d = c < 0 ? -1 : body.indexOf(':', c + 1);
        if (d < 0) return null;
        try {
            return new Stamp(body.substring(0, a), Integer.parseInt(body, a + 1, b, 10),
                    Integer.parseInt(body, b + 1, c, 10), Long.parseLong(body, c + 1, d, 10));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
