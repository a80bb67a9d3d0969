package loomchat.protocol;

/** The error codes of the wire contract; {@link #wire()} is the string clients see. */
public enum ErrorCode {
    BAD_FRAME, FRAME_TOO_LARGE, UNKNOWN_TYPE, INVALID, NOT_AUTHENTICATED, ALREADY_AUTHENTICATED,
    BAD_CREDENTIALS, USER_EXISTS, NO_SUCH_USER, NO_SUCH_GROUP, NOT_MEMBER, NOT_ADMIN, GROUP_FULL,
    NO_SUCH_MEDIA, RATE_LIMITED, OVERLOADED, SESSION_REPLACED, INTERNAL,

    /**
     * A code this version does not know, as a client decodes one from a newer server. The server
     * never sends it. It is not {@link #INTERNAL}, which tells a client to retry: a code it
     * cannot read promises nothing of the kind.
     */
    UNRECOGNIZED;

    private final String wire = name().toLowerCase(java.util.Locale.ROOT);

    /** The code as it is spelled on the wire, e.g. {@code no_such_user}. */
    public String wire() {
        return wire;
    }

    /** The code for a wire spelling, or {@link #UNRECOGNIZED} for one this version does not know. */
    public static ErrorCode fromWire(String s) {
        for (ErrorCode c : values()) {
            if (c != UNRECOGNIZED && c.wire.equals(s)) return c;
        }
        return UNRECOGNIZED;
    }
}
