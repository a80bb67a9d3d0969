package loomchat.protocol;

/**
 * A frame that cannot be accepted, with the error code and request id the reply must carry.
 * Thrown by the codec for malformed input and by handlers for refused requests; it carries
 * no stack trace because it is an answer, not a bug.
 */
public final class ProtocolException extends Exception {
    private final ErrorCode code;
    private final String requestId;

    public ProtocolException(ErrorCode code, String requestId, String message) {
        super(message, null, false, false);
        this.code = code;
        this.requestId = requestId;
    }

    public ErrorCode code() {
        return code;
    }

    /** The {@code id} of the refused request, or null when there was none (or it was unreadable). */
    public String requestId() {
        return requestId;
    }

    /** The error frame that answers this refusal. */
    public ServerFrame.Error toFrame() {
        return new ServerFrame.Error(requestId, code, getMessage());
    }

    /**
     * The error frame that answers request {@code requestId}, which failed with {@code error}: a
     * refusal (this exception, perhaps wrapped by a future) as itself, anything else as
     * {@code internal} with {@code internalMessage}, for the client to try again.
     */
    public static ServerFrame.Error replyTo(String requestId, Throwable error, String internalMessage) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        if (cause instanceof ProtocolException p) return new ServerFrame.Error(requestId, p.code(), p.getMessage());
        return new ServerFrame.Error(requestId, ErrorCode.INTERNAL, internalMessage);
    }
}
