package loomchat.http;

/**
 * A request the HTTP port refuses before any handler sees it: its status and the error code of
 * the JSON body ({@code {"error":"<code>"}}). The connection is closed after the answer, as the
 * rest of what the client sent can no longer be trusted to start where the next request does.
 */
final class HttpError extends Exception {
    private final int status;
    private final String code;

    HttpError(int status, String code) {
        super(status + " " + code, null, false, false); // a client's mistake: no stack trace worth its cost
        this.status = status;
        this.code = code;
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }
}
