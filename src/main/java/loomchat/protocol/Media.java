package loomchat.protocol;

/** A reference to an uploaded media object carried by a message: its id, MIME type and size in bytes. */
public record Media(String id, String mime, long size) {
}
