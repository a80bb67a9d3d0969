package loomchat.protocol;

import java.util.List;

/**
 * A frame sent by a client. Requests carry an {@code id} and get exactly one reply;
 * {@link Ack}, {@link Read} and {@link Typing} are fire-and-forget.
 */
public sealed interface ClientFrame extends Frame {

    /** A client frame that expects exactly one reply carrying the same {@code id}. */
    sealed interface Request extends ClientFrame {
        String id();
    }

    record Register(String id, String user, String password) implements Request {
        @Override public String toString() { return "Register[id=" + id + ", user=" + user + "]"; }
    }

    /** Login by password or by token: exactly one of {@code password} and {@code token} is set. */
    record Login(String id, String user, String password, String token) implements Request {
        @Override public String toString() { return "Login[id=" + id + ", user=" + user + "]"; }
    }

    record Logout(String id) implements Request {
    }

    record Ping(String id) implements Request {
    }

    /** A message to one user ({@code to}) or one group ({@code group}); exactly one is set. */
    record Send(String id, String to, String group, String body, Media media) implements Request {
    }

    /** Cumulative acknowledgement: every inbox item with {@code seq} at most this one was received. */
    record Ack(long seq) implements ClientFrame {
    }

    /** The reader marks a received message as read; its sender gets a read receipt. */
    record Read(String msg) implements ClientFrame {
    }

    record Subscribe(String id, String user) implements Request {
    }

    record Unsubscribe(String id, String user) implements Request {
    }

    /** A typing indicator for one user ({@code to}) or one group ({@code group}). */
    record Typing(String to, String group, TypingState state) implements ClientFrame {
    }

    record GroupCreate(String id, String name, List<String> members) implements Request {
    }

    record GroupAdd(String id, String group, List<String> users) implements Request {
    }

    record GroupRemove(String id, String group, List<String> users) implements Request {
    }

    record GroupLeave(String id, String group) implements Request {
    }

    record GroupInfoRequest(String id, String group) implements Request {
    }

    record GroupsRequest(String id) implements Request {
    }

    /** The two states of a typing indicator. */
    enum TypingState {
        COMPOSING, PAUSED;

        public String wire() {
            return this == COMPOSING ? "composing" : "paused";
        }
    }
}
