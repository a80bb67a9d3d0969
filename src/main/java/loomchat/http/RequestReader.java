package loomchat.http;

import java.io.IOException;

/**
 * Reads and checks a request's head: the request line, then header fields up to an empty line.
 *
 * <p>Everything is bounded before it is kept: a line's length, the number of fields, the head's
 * total size. What could let two parties disagree on where a request ends is refused rather than
 * guessed at: a {@code Content-Length} together with a {@code Transfer-Encoding}, two lengths
 * that differ, a length that is not a plain decimal, a coding other than {@code chunked}, a
 * field folded over two lines, a space before a field's colon.
 */
final class RequestReader {
    static final int MAX_LINE = 8192;
    static final int MAX_FIELDS = 100;
    static final int MAX_HEAD_BYTES = 64 * 1024;
    /** Empty lines tolerated before a request line (some clients send a CRLF after a body). */
    private static final int MAX_LEADING_EMPTY = 4;

    private static final HttpError URI_TOO_LONG = new HttpError(414, "uri_too_long");
    private static final HttpError HEAD_TOO_LARGE = new HttpError(431, "headers_too_large");

    /**
     * A request's head and how its body is framed.
     *
     * @param path the target's path, still percent-encoded (from the absolute form too)
     * @param query the target's query without its {@code ?}, or null
     */
    record Head(String method, String path, String query, boolean http11, HttpHeaders headers, long contentLength,
            boolean chunked) {
        /** Whether the connection may carry another request: HTTP/1.1 unless the client said close; never 1.0. */
        boolean keepAlive() {
            return http11 && !headers.hasToken("Connection", "close");
        }

        boolean expectsContinue() {
            return http11 && "100-continue".equalsIgnoreCase(headers.first("Expect"));
        }
    }

    private RequestReader() {
    }

    /** The next request's head, or null if the client closed the connection between requests. */
    static Head read(HttpInput in) throws IOException, HttpError {
        String line;
        int empty = 0;
        do {
            line = in.readLine(MAX_LINE, URI_TOO_LONG);
            if (line == null) return null;
        } while (line.isEmpty() && ++empty <= MAX_LEADING_EMPTY);
        int first = line.indexOf(' ');
        int last = line.lastIndexOf(' ');
        if (first <= 0 || last == first) throw bad();
        String method = line.substring(0, first);
        String target = line.substring(first + 1, last);
        String version = line.substring(last + 1);
        if (!isToken(method) || target.isEmpty() || target.indexOf(' ') >= 0 || !visible(target)) throw bad();
        boolean http11;
        if (version.equals("HTTP/1.1")) http11 = true;
        else if (version.equals("HTTP/1.0")) http11 = false;
        else if (version.startsWith("HTTP/")) throw new HttpError(505, "http_version_not_supported");
        else throw bad();

        HttpHeaders headers = new HttpHeaders();
        int headBytes = line.length();
        while (true) {
            String field = in.readLine(MAX_LINE, HEAD_TOO_LARGE);
            if (field == null) throw new java.io.EOFException("the connection ended in a request's head");
            if (field.isEmpty()) break;
            headBytes += field.length();
            if (headBytes > MAX_HEAD_BYTES || headers.size() >= MAX_FIELDS) throw HEAD_TOO_LARGE;
            int colon = field.indexOf(':');
            if (colon <= 0) throw bad(); // a line starting with a space (obsolete folding) lands here too
            String name = field.substring(0, colon);
            String value = ows(field.substring(colon + 1));
            if (!isToken(name) || !fieldValue(value)) throw bad();
            headers.add(name, value);
        }
        // RFC 9112: a 1.1 request names its host once; a proxy and we must not disagree on which.
        if (http11 && headers.all("Host").size() != 1) throw new HttpError(400, "bad_host");
        String origin = originForm(target);
        int q = origin.indexOf('?');
        return new Head(method, q < 0 ? origin : origin.substring(0, q), q < 0 ? null : origin.substring(q + 1),
                http11, headers, contentLength(headers), chunked(headers, http11));
    }

    /** The target as a path and query: the absolute form, as sent to a proxy, loses its scheme and authority. */
    private static String originForm(String target) throws HttpError {
        if (target.regionMatches(true, 0, "http://", 0, 7) || target.regionMatches(true, 0, "https://", 0, 8)) {
            int from = target.indexOf("//") + 2;
            int end = from;
            while (end < target.length() && target.charAt(end) != '/' && target.charAt(end) != '?') end++;
            return end == target.length() ? "/" : target.charAt(end) == '?' ? "/" + target.substring(end)
                    : target.substring(end);
        }
        if (!target.startsWith("/")) throw bad();
        return target;
    }

    /** {@code s} without the spaces and tabs around it (RFC 9110's OWS): nothing else is trimmed. */
    static String ows(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) from++;
        while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) to--;
        return s.substring(from, to);
    }

    /** {@code s} without the spaces and tabs at its end. */
    static String withoutTrailingSpace(String s) {
        int to = s.length();
        while (to > 0 && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) to--;
        return s.substring(0, to);
    }

    /** The declared length, -1 if none; the same value repeated is one length, two values are a lie. */
    private static long contentLength(HttpHeaders headers) throws HttpError {
        long length = -1;
        for (String value : headers.all("Content-Length")) {
            for (String part : value.split(",", -1)) {
                String digits = ows(part);
                if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new HttpError(400, "bad_content_length");
                }
                long n = Long.parseLong(digits);
                if (length >= 0 && n != length) throw new HttpError(400, "bad_content_length");
                length = n;
            }
        }
        return length;
    }

    private static boolean chunked(HttpHeaders headers, boolean http11) throws HttpError {
        java.util.List<String> codings = headers.all("Transfer-Encoding");
        if (codings.isEmpty()) return false;
        if (!http11) throw new HttpError(400, "bad_request"); // RFC 9112: faulty framing in 1.0
        if (headers.first("Content-Length") != null) throw new HttpError(400, "length_and_transfer_encoding");
        if (codings.size() != 1 || !codings.get(0).equalsIgnoreCase("chunked")) {
            throw new HttpError(501, "transfer_encoding_not_supported");
        }
        return true;
    }

    /** RFC 9110's token: the characters a method or a field name may hold. */
    private static boolean isToken(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) return false;
        }
        return true;
    }

    /** No control characters: visible ASCII only. */
    private static boolean visible(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f) return false;
        }
        return true;
    }

    /** A field's value: no control characters but tab (bytes above 0x7f pass, as opaque). */
    private static boolean fieldValue(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
        }
        return true;
    }

    private static HttpError bad() {
        return new HttpError(400, "bad_request");
    }
}
