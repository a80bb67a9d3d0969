package loomchat.protocol;

/**
 * A server frame together with its encoded line, so that a notice sent to many connections (a
 * typing notice to a group, a presence change to every watcher) is encoded once, not once each.
 *
 * @param line the frame as {@link FrameCodec#encode} makes it; shared, so never written to
 */
public record EncodedFrame(ServerFrame frame, byte[] line) {
}
