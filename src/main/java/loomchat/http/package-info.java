/**
 * The HTTP port, as small as the media routes need and built the way the chat port is: one
 * platform thread accepts ({@link loomchat.http.HttpPort}), and each connection runs on a
 * virtual thread of its own ({@link loomchat.http.HttpConnection}) with plain blocking reads and
 * writes, one request after another on a kept connection. A handler is a function from
 * {@link loomchat.http.HttpRequest} to {@link loomchat.http.HttpResponse}; the port frames both
 * (HTTP/1.1 with {@code Content-Length} or chunked bodies, {@code Expect: 100-continue}).
 *
 * <p>Why not the JDK's own {@code com.sun.net.httpserver}: it has no limit per client address and
 * one deadline for a request's head and body together, so one address sending a byte on each of
 * its ten thousand connections held the port for the five minutes a large upload needs. Here a
 * head has its own short deadline, each address its own share of the connections, and every
 * deadline is kept by one sweep that closes the socket, since a blocking write has no timeout
 * and a read timeout restarts with every byte.
 */
package loomchat.http;
