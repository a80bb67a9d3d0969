/**
 * Media out of band, as WhatsApp's media servers do it: the bytes of pictures, voice notes and
 * videos go over HTTP ({@link loomchat.media.MediaHttp}), never through the chat connection,
 * and a message carries only a reference. {@link loomchat.media.MediaLibrary} streams uploads
 * to {@code <data-dir>/media} with their SHA-256 and keeps a row per upload in the database;
 * {@link loomchat.media.MediaSweeper} deletes what is older than {@code media_ttl}; and the chat
 * side asks {@link loomchat.media.MediaCatalog} whether a referenced id exists.
 */
package loomchat.media;
