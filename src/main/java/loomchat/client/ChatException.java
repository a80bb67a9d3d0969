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
    private final String requestId;

    public ChatException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public ChatException(ErrorCode code, String message, Throwable cause) {
        this(code, message, cause, null);
    }

    /** A refusal of the request {@code requestId}. */
    ChatException(ErrorCode code, String message, Throwable cause, String requestId) {
        super(code == null ? message : code.wire() + (message == null ? "" : ": " + message), cause);
        this.code = code;
        this.requestId = requestId;
    }

    /**
     * Rethrows a failure that completed a future on the reader thread, so that the stack trace
     * also shows the caller that was waiting for it.
     */
    ChatException(ChatException fromReader) {
        this(fromReader, fromReader.requestId);
    }

    /** The same failure, naming the request it ended (a connection lost before its reply). */
    ChatException of(String requestId) {
        return new ChatException(this, requestId);
    }

    /** {@code failure} again, with its message and code, as the cause of a new one naming {@code requestId}. */
    private ChatException(ChatException failure, String requestId) {
        super(failure.getMessage(), failure);
        this.code = failure.code;
        this.requestId = requestId;
    }

    /**
     * The id of the request that failed: refused by the server, or cut off by a connection lost
     * before its reply; null for a failure of no request of yours (a login the client made
     * itself, say). A {@code send} that failed so (refused with {@code internal},
     * {@code overloaded} or {@code rate_limited}, or its {@code ok} lost with the connection) is
     * retried with this id ({@link ChatClient#send(loomchat.protocol.ClientFrame.Send)}), on this
     * connection or the next, so that it is delivered once even if the first attempt got through.
     */
    public String requestId() {
        return requestId;
    }

    /** The server's error code, or null when the failure was local (connection lost, timeout). */
    public ErrorCode code() {
        return code;
    }
}
