package loomchat.server;

import loomchat.protocol.ClientFrame;
import loomchat.protocol.ClientFrame.*;

/** Names of client frames as they appear on the wire, for metrics and messages. */
final class Dispatch {
    private Dispatch() {
    }

    static String typeOf(ClientFrame f) {
        return switch (f) {
            case Register r -> "register";
            case Login l -> "login";
            case Logout l -> "logout";
            case Ping p -> "ping";
            case Send s -> "send";
            case Ack a -> "ack";
            case Read r -> "read";
            case Subscribe s -> "subscribe";
            case Unsubscribe u -> "unsubscribe";
            case Typing t -> "typing";
            case GroupCreate g -> "group_create";
            case GroupAdd g -> "group_add";
            case GroupRemove g -> "group_remove";
            case GroupLeave g -> "group_leave";
            case GroupInfoRequest g -> "group_info";
            case GroupsRequest g -> "groups";
        };
    }
}
