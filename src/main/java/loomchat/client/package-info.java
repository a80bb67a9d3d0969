/**
 * The client side of the wire contract: {@link loomchat.client.ChatClient} holds one
 * connection and offers every request of the protocol as a method, asynchronous where a
 * caller may want many in flight (sends) and blocking where it usually waits anyway
 * (login, groups). The tests drive the server with it, the load generator runs thousands of
 * them, and the CLI's chat screen, {@link loomchat.client.ChatConsole}, is a thin layer of text
 * over it. A client costs a socket, one virtual thread that reads and decodes, and buffers
 * sized on purpose; requests are written by the caller's thread, and inbox items are
 * acknowledged in batches.
 *
 * <p>{@link loomchat.client.ClientLoop} is the load generator's other client: many
 * connections, logged in by token, read by one thread through a selector. It speaks only what
 * the open-loop benchmark needs (sends, inbox items, acks), and exists because a generator
 * sharing a small machine with the server must cost as little CPU as it can.
 */
package loomchat.client;
