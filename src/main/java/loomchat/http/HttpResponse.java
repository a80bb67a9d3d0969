package loomchat.http;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a handler answers: a status, header fields, and a body of known length that the port
 * writes and then closes.
 *
 * <p>The port adds {@code Content-Length}, {@code Date} and, when the connection ends after
 * this answer, {@code Connection: close}; a handler sets neither of the first two.
 *
 * @param body read to its end (or to {@code length} bytes) and closed by the port, on success
 *     or failure
 */
public record HttpResponse(int status, Map<String, String> headers, long length, InputStream body) {
    private static final String JSON = "application/json; charset=utf-8";

    public HttpResponse {
        headers = Map.copyOf(headers);
    }

    /** A response whose body is {@code text} in UTF-8. */
    public static HttpResponse text(int status, String contentType, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new HttpResponse(status, Map.of("Content-Type", contentType), bytes.length,
                new ByteArrayInputStream(bytes));
    }

    /** A response whose body is the JSON {@code json}: every error of the HTTP port has this shape. */
    public static HttpResponse json(int status, String json) {
        return text(status, JSON, json);
    }

    /** A response streaming {@code length} bytes from {@code body}. */
    public static HttpResponse stream(int status, Map<String, String> headers, long length, InputStream body) {
        return new HttpResponse(status, headers, length, body);
    }

    /** This response with one more header field (or {@code name}'s value replaced). */
    public HttpResponse with(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new HttpResponse(status, more, length, body);
    }
}
