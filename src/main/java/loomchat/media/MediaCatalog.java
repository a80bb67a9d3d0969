package loomchat.media;

import loomchat.protocol.ProtocolException;

/**
 * What the chat side asks of the media store before it accepts a message that carries media:
 * is there such an upload, and has it not expired. A small interface so that
 * {@link loomchat.chat.Router} needs neither files nor SQL to ask it.
 */
@FunctionalInterface
public interface MediaCatalog {
    /** A catalog that knows no media: every message with media is refused. */
    MediaCatalog NONE = (requestId, mediaId) -> {
        throw MediaLibrary.noSuchMedia(requestId, mediaId);
    };

    /**
     * Returns if {@code mediaId} names stored media that has not expired.
     *
     * @throws ProtocolException {@code no_such_media} if it does not, {@code internal} if the
     *     catalog cannot be read; either carries {@code requestId}
     */
    void require(String requestId, String mediaId) throws ProtocolException;
}
