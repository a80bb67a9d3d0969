package loomchat.protocol;

/**
 * A reference to an uploaded media object carried by a message: its id, MIME type and size in
 * bytes. The type and size are the sender's word; {@code size} is -1 when the sender gave none
 * (it is then left out on the wire).
 */
public record Media(String id, String mime, long size) {
}
