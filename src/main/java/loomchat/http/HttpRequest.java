package loomchat.http;

import java.io.InputStream;
import java.net.InetAddress;

/**
 * One request as a handler sees it: its head already read and checked, its body a stream that
 * ends where the request does.
 *
 * @param method the method as sent, e.g. {@code GET}
 * @param path the target's path, still percent-encoded, without its query
 * @param query the target's query without its {@code ?}, or null
 * @param headers the header fields
 * @param contentLength the body's declared length, already checked; -1 when it has none (a
 *     chunked body, or no body)
 * @param body the body (empty when the request has none); reading past its end returns -1,
 *     never the next request
 * @param remote the client's address
 */
public record HttpRequest(String method, String path, String query, HttpHeaders headers, long contentLength,
        InputStream body, InetAddress remote) {

    /** The first value of a header field, or null. */
    public String header(String name) {
        return headers.first(name);
    }
}
