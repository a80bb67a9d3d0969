/**
 * Connection lifecycle. {@link loomchat.server.ChatServer} wires the parts together, accepts
 * sockets on one platform thread and gives each connection its own virtual thread, which runs
 * {@link loomchat.server.Connection}: welcome, a blocking read loop, dispatch, close, top to
 * bottom in one method. What a connection sends goes through its {@link loomchat.server.Outbox}:
 * a small bounded queue for replies and notices, and the user's inbox for everything durable,
 * drained by a writer thread that exists only while there is something to write, so an idle
 * connection holds no writer and no write buffer. {@link loomchat.server.HttpFront} serves the
 * HTTP port.
 */
package loomchat.server;
