package loomchat.chat;

import java.util.Collection;
import loomchat.protocol.ClientFrame;
import loomchat.protocol.EncodedFrame;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.FrameCodec;
import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;
import loomchat.store.ChatStore;
import loomchat.store.Endpoint;
import loomchat.store.Group;
import loomchat.store.GroupTable;
import loomchat.store.Watchers;

/**
 * The transient signals: who is online, for those who watch, and who is typing.
 *
 * <p>Nothing here is stored or retried. A watched user's watchers live in that user's state
 * ({@link Watchers}), so a user watched by thousands and a connection watching thousands both
 * cost two set entries per pair (one on each side: the watched user's watchers, the connection's
 * list of whom it watches), with no lock shared between users. Telling someone is offering
 * a frame to their connection's outbox, which queues and returns; a notice for a connection
 * whose queue is full is dropped with it.
 */
public final class Presence {
    /** Typing notices a user may send a second, and in a burst. */
    static final double TYPING_RATE = 2;
    static final int TYPING_BURST = 10;

    private final ChatStore store;
    private final GroupTable groups;
    private final FrameCodec codec;

    public Presence(ChatStore store, GroupTable groups, FrameCodec codec) {
        this.store = store;
        this.groups = groups;
        this.codec = codec;
    }

    /**
     * Starts telling {@code watcher} about {@code user}: queues the {@code ok}, then the user's
     * presence now, then every change, in that order. Subscribing twice is harmless.
     */
    public void subscribe(String requestId, String user, Endpoint watcher) throws ProtocolException {
        Watchers w = store.watchers(user, true);
        if (w == null) throw new ProtocolException(ErrorCode.NO_SUCH_USER, requestId, "no such user: " + user);
        w.add(watcher, new ServerFrame.Ok(requestId), () -> store.presence(user));
    }

    /** Stops telling {@code watcher} about {@code user}. */
    public void unsubscribe(String requestId, String user, Endpoint watcher) throws ProtocolException {
        if (!store.exists(user)) throw new ProtocolException(ErrorCode.NO_SUCH_USER, requestId, "no such user: " + user);
        Watchers w = store.watchers(user, false);
        if (w != null) w.remove(watcher);
    }

    /** Drops every subscription of a connection that closed. */
    public void unsubscribeAll(Collection<String> users, Endpoint watcher) {
        for (String user : users) {
            Watchers w = store.watchers(user, false);
            if (w != null) w.remove(watcher);
        }
    }

    /** The user came online or went offline: every watcher gets the state as it is now. */
    public void changed(String user) {
        Watchers w = store.watchers(user, false);
        if (w != null) w.publish(() -> codec.encodeOnce(store.presence(user)));
    }

    /**
     * Forwards a typing indicator to the recipient, or to every other member of the group, if
     * online; anything else (an offline recipient, an unknown user or group, a group the typist
     * is not in) is dropped without a word, since {@code typing} has no reply.
     */
    public void typing(String from, ClientFrame.Typing typing) {
        // A person starts and stops typing a few times a minute; past this, notices are dropped
        // unannounced, as typing notices may be anyway.
        if (!store.allow(from, ChatStore.Budget.TYPING, TYPING_RATE, TYPING_BURST, System.nanoTime())) return;
        ServerFrame.TypingNotice notice = new ServerFrame.TypingNotice(from, typing.group(), typing.state());
        if (typing.to() != null) {
            if (!typing.to().equals(from)) offer(typing.to(), notice);
            return;
        }
        Group group = groups.get(typing.group());
        if (group == null || !group.isMember(from)) return;
        EncodedFrame encoded = null; // once for the whole group, and only if someone is online
        for (String member : group.members()) {
            if (member.equals(from)) continue;
            Endpoint session = store.session(member);
            if (session == null) continue;
            if (encoded == null) encoded = codec.encodeOnce(notice);
            session.offer(encoded);
        }
    }

    private void offer(String user, ServerFrame notice) {
        Endpoint session = store.session(user);
        if (session != null) session.offer(notice);
    }
}
