/**
 * The wire protocol as data: every frame that crosses a connection is a record,
 * and the records are gathered under two sealed interfaces, {@link loomchat.protocol.ClientFrame}
 * for what clients send and {@link loomchat.protocol.ServerFrame} for what the
 * server sends. {@link loomchat.protocol.FrameCodec} is the only place that knows
 * JSON: it turns one line into a validated record (or a {@link loomchat.protocol.ProtocolException}
 * naming the error code) and a record back into one line. The buffers Jackson
 * needs for that are lent by a {@link loomchat.protocol.BufferPool} for the length of
 * one frame, so an idle connection holds none. Lines come from a
 * {@link loomchat.protocol.LineReader} (the server's and {@link loomchat.client.ChatClient}'s),
 * which holds at most one bounded line, in a buffer that starts at 512 bytes, grows only while a
 * long line is read and shrinks back after it. Everything past the
 * codec switches over records with pattern matching; no maps of strings travel
 * through the server. docs/protocol.md describes the same frames for client authors.
 */
package loomchat.protocol;
