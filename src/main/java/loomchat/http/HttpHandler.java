package loomchat.http;

import java.io.IOException;

/** Answers the requests of one route: a function from request to response, run on the connection's virtual thread. */
@FunctionalInterface
public interface HttpHandler {
    /**
     * The answer to {@code request}. A handler may leave the body unread (an upload refused
     * before it starts, say): the port then ends the connection after the answer.
     *
     * @throws IOException if the client went away mid-request; the connection is closed without an answer
     */
    HttpResponse handle(HttpRequest request) throws IOException;
}
