/**
 * Connection lifecycle. {@link loomchat.server.ChatServer} wires the parts together, accepts
 * sockets on one platform thread and gives each connection its own virtual thread, which runs
 * {@link loomchat.server.Connection}: welcome, a blocking read loop, dispatch, close, top to
 * bottom in one method. What a connection sends goes through its {@link loomchat.server.Outbox}:
 * a small bounded queue for replies and notices, and the user's inbox for everything durable,
 * drained by a writer thread that exists only while there is something to write, so an idle
 * connection holds no writer and no write buffer. The writer hands a run's frames to a
 * {@link loomchat.server.Burst}, which writes them in one system call without a buffer of its
 * own, so that a run allocates what it sends. The HTTP port is {@code loomchat.http}'s;
 * {@link loomchat.server.Tls} builds the TLS context both ports use when a keystore is
 * configured.
 */
package loomchat.server;
