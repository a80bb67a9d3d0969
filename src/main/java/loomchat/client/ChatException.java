package loomchat.client;

import loomchat.protocol.ErrorCode;

/**
 * A request that did not succeed: either the server refused it, and {@link #code()} names
 * the contract's error code, or the connection failed before a reply came, and the code is
 * null unless the server said why it was closing (for instance {@code session_replaced}).
 *
 * <p>Unchecked, so that the typed futures of {@link ChatClient} can carry it as their cause
 * and the blocking conveniences can throw it without widening every signature.
 */
public final class ChatException extends RuntimeException {
    private final ErrorCode code;

    public ChatException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public ChatException(ErrorCode code, String message, Throwable cause) {
        super(code == null ? message : code.wire() + (message == null ? "" : ": " + message), cause);
        this.code = code;
    }

    /**
     * Rethrows a failure that completed a future on the reader thread, so that the stack trace
     * also shows the caller that was waiting for it.
     */
    ChatException(ChatException fromReader) {
        super(fromReader.getMessage(), fromReader);
        this.code = fromReader.code;
    }

    /** The server's error code, or null when the failure was local (connection lost, timeout). */
    public ErrorCode code() {
        return code;
    }
}
