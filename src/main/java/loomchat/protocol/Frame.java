package loomchat.protocol;

/** Any frame on the wire, in either direction. */
public sealed interface Frame permits ClientFrame, ServerFrame {
}
