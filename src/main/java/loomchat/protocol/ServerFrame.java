package loomchat.protocol;

import java.util.List;

/**
 * A frame sent by the server: replies to requests, items of the user's inbox, and
 * transient notices (presence, typing).
 */
public sealed interface ServerFrame extends Frame {

    /** The first frame of every connection. */
    record Welcome(String server, int version, int maxFrameBytes) implements ServerFrame {
    }

    /** A reply to a request: one of the {@code ok} shapes, an {@link Error} or a {@link Pong}. */
    sealed interface Reply extends ServerFrame {
        String id();
    }

    /** A plain success. */
    record Ok(String id) implements Reply {
    }

    record LoginOk(String id, String token, long pending) implements Reply {
    }

    /** The promise that a message is safe: durable in the recipient's inbox, or already acked. */
    record SendOk(String id, String msg, long ts) implements Reply {
    }

    record GroupCreated(String id, String group) implements Reply {
    }

    record GroupInfo(String id, String group, String name, List<String> members, List<String> admins)
            implements Reply {
    }

    record GroupList(String id, List<GroupSummary> groups) implements Reply {
    }

    /** One line of a {@link GroupList}. */
    record GroupSummary(String group, String name) {
    }

    /** A refusal; {@code id} is null for errors that answer no request. */
    record Error(String id, ErrorCode code, String message) implements Reply {
    }

    record Pong(String id) implements Reply {
    }

    /** Something the server must not lose on its way to a user: it has a per-user {@code seq}. */
    sealed interface InboxItem extends ServerFrame {
        long seq();
    }

    /** A chat message; {@code group} is set for group messages, {@code media} when one is attached. */
    record Msg(long seq, String msg, String from, String to, String group, String body, Media media, long ts)
            implements InboxItem {
    }

    /** A delivered or read receipt for a message the user sent. */
    record Receipt(long seq, String msg, ReceiptStatus status, String by, long ts) implements InboxItem {
    }

    /**
     * An advance copy of a {@link Receipt} that landed behind a long backlog of the user's items:
     * sent ahead of them, as replies are, so that check marks do not wait for the backlog. It has
     * no {@code seq} and is not acknowledged; the receipt itself still follows in seq order.
     */
    record ReceiptNotice(String msg, ReceiptStatus status, String by, long ts) implements ServerFrame {
    }

    /** A membership change in a group the user is, or was, in. */
    record GroupEvent(long seq, String group, GroupEventKind event, String by, List<String> users)
            implements InboxItem {
    }

    /** A watched user came online or went offline ({@code lastSeen} is set when offline). */
    record Presence(String user, boolean online, Long lastSeen) implements ServerFrame {
    }

    /** Someone is typing to the user, or in one of the user's groups ({@code group} then set). */
    record TypingNotice(String from, String group, ClientFrame.TypingState state) implements ServerFrame {
    }

    enum ReceiptStatus {
        DELIVERED, READ;

        public String wire() {
            return this == DELIVERED ? "delivered" : "read";
        }
    }

    enum GroupEventKind {
        CREATED, ADDED, REMOVED, LEFT;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
