package loomchat.chat;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import loomchat.media.MediaCatalog;
import loomchat.metrics.Metrics;
import loomchat.protocol.ClientFrame;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;
import loomchat.protocol.ServerFrame.InboxItem;
import loomchat.protocol.ServerFrame.Msg;
import loomchat.protocol.ServerFrame.Receipt;
import loomchat.protocol.ServerFrame.ReceiptStatus;
import loomchat.store.ChatStore;
import loomchat.store.Commit;
import loomchat.store.Endpoint;
import loomchat.store.Group;
import loomchat.store.GroupTable;
import loomchat.store.SentMessage;

/**
 * Message routing: sends into inboxes, acknowledgements out of them, and the receipts between.
 *
 * <p>A send returns a future that completes with its {@code ok} once the message is safe, so a
 * client may have many sends in flight on one connection. A 1:1 send without media never waits;
 * a send with media looks its upload up in the database, and a group send may wait up to
 * {@link #ROOM_WAIT_NANOS} for room in the commit queue (the connection runs it on a thread of
 * its own for that reason).
 */
public final class Router {
    private static final System.Logger LOG = System.getLogger(Router.class.getName());

    private final ChatStore store;
    private final MessageIds ids;
    private final Metrics metrics;
    private final MediaCatalog media;
    private final GroupTable groups;
    private final double sendRate;
    private final int sendBurst;

    /**
     * @param sendRate {@code send_rate}, and {@code sendBurst} {@code send_burst}: what a group
     *                 send is charged beyond the one token every send costs at the reader
     */
    public Router(ChatStore store, MessageIds ids, Metrics metrics, MediaCatalog media, GroupTable groups,
                  double sendRate, int sendBurst) {
        this.store = store;
        this.sendRate = sendRate;
        this.sendBurst = sendBurst;
        this.groups = groups;
        this.ids = ids;
        this.metrics = metrics;
        this.media = media;
    }

    /**
     * Sends a message to one user or one group. A repeated request id of the same sender answers with the
     * first send's {@code msg} and {@code ts} and delivers nothing new.
     */
    public CompletableFuture<ServerFrame.Reply> send(String from, ClientFrame.Send send) {
        // The media check comes after the request id is claimed, so that a retry of a delivered
        // message gets its first answer even once the upload has expired.
        if (send.group() != null) {
            return oncePerRequestId(from, send, (msgId, now) -> {
                requireMedia(send);
                return fanOut(from, send, msgId, now);
            });
        }
        return oncePerRequestId(from, send, (msgId, now) -> {
            requireMedia(send);
            return store.append(send.to(),
                    seq -> new Msg(seq, msgId, from, send.to(), null, send.body(), send.media(), now),
                    new Commit.SendKey(from, send.id(), msgId, now), ChatStore.Admission.SEND).durable();
        });
    }

    /**
     * What a group send costs of the sender's {@code send_rate}: one token per
     * {@link #GROUP_BYTES_PER_TOKEN} characters of body it fans out, and at least one, since it
     * becomes an item (and perhaps a row) per member. A line to a large group costs a token or
     * two; the largest body to a thousand members costs a thousand.
     */
    static int groupCost(int recipients, int bodyLength) {
        long fannedOut = (long) recipients * bodyLength;
        long tokens = (fannedOut + GROUP_BYTES_PER_TOKEN - 1) / GROUP_BYTES_PER_TOKEN;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, tokens));
    }

    /** Body characters fanned out to a group per token of {@code send_rate}: a largest message's worth. */
    static final int GROUP_BYTES_PER_TOKEN = 64 * 1024;

    /** A new message id for {@code send}, made for its user or its group. */
    private String newId(String from, ClientFrame.Send send, long ts) {
        return send.group() != null
                ? ids.newGroupId(from, send.group(), send.id(), ts)
                : ids.newId(from, send.to(), send.id(), ts);
    }

    /** Whether {@code msgId} was made for the target of {@code send}: the same user, or the same group. */
    private boolean sameTarget(String msgId, ClientFrame.Send send) {
        MessageIds.Parsed parsed = ids.parse(msgId);
        return parsed != null && Objects.equals(parsed.to(), send.to()) && Objects.equals(parsed.group(), send.group());
    }

    /** Refuses a send whose media is not an upload of the server's; a lookup, on the sender's own thread. */
    private void requireMedia(ClientFrame.Send send) throws ProtocolException {
        if (send.media() != null) media.require(send.id(), send.media().id());
    }

    /** How a message reaches its inboxes; the future completes when every item is safe. */
    private interface Delivery {
        CompletableFuture<Void> deliver(String msgId, long now) throws ProtocolException;
    }

    /**
     * Runs {@code delivery} for a request id the sender has not used yet; a repeated id waits for,
     * and answers with, the first send's {@code msg} and {@code ts}.
     *
     * <p>A first attempt refused before anything was delivered forgets the id, so a retry is tried
     * afresh. A send that failed later (its batch could not be written) keeps it, failed: its item
     * may already have been pushed to an online recipient, so the retry delivers again under the
     * same {@code msg} and {@code ts}, which the recipient de-duplicates, instead of as a second
     * message; and a retry of it that is refused keeps it failed in turn. (Unless the retry names
     * another recipient: a message id is made for its target, so that one is a new message.)
     */
    private CompletableFuture<ServerFrame.Reply> oncePerRequestId(String from, ClientFrame.Send send,
                                                                  Delivery delivery) {
        long now = System.currentTimeMillis();
        SentMessage proposed = new SentMessage(newId(from, send, now), now, new CompletableFuture<>());
        ChatStore.Claim claim = store.claimSend(from, send.id(), proposed, msg -> sameTarget(msg, send));
        SentMessage sent = claim.sent();
        if (claim.fresh()) {
            try {
                delivery.deliver(sent.msg(), sent.ts()).whenComplete((ok, error) -> {
                    if (error == null) {
                        store.settleSend(from, send.id(), sent);
                        sent.durable().complete(null);
                    } else {
                        sent.durable().completeExceptionally(error); // kept, failed: see above
                    }
                });
                metrics.messagesSent.increment();
            } catch (ProtocolException e) {
                if (!claim.retry()) store.forgetSend(from, send.id(), sent);
                sent.durable().completeExceptionally(e);
            } catch (RuntimeException e) {
                // A bug, not a refusal: it may have struck after an item was appended, so the id
                // is kept, failed, like a failed write's; left pending, the future would hold this
                // request, and every retry of its id, unanswered for as long as the id is kept.
                LOG.log(System.Logger.Level.ERROR, "a send failed unexpectedly", e);
                sent.durable().completeExceptionally(e);
            }
        }
        return sent.durable().handle((ok, error) -> error == null
                ? new ServerFrame.SendOk(send.id(), sent.msg(), sent.ts())
                : errorReply(send.id(), error));
    }

    /**
     * Sends a message to every member of a group but the sender: one inbox item per member, each
     * a {@link Commit.WriteItem} for the group committer, so a thousand members cost a few
     * batched transactions, not a thousand. Room in the commit queue is reserved for every
     * member first (waiting up to {@link #ROOM_WAIT_NANOS}, which is the back-pressure on a fast
     * group sender), so a busy server refuses the whole message with {@code overloaded} rather
     * than give it to some members only. The {@code ok} waits until every item is durable (or
     * acknowledged). A member whose inbox is far over its limit (twice {@code max_inbox_items}:
     * fan-out is not capped at the usual limit, so one slow member cannot refuse a message to all
     * the others), or holds the sender's whole share of it, misses this message; the send fails
     * with {@code overloaded} only if no member at all could take it.
     *
     * <p>The items go to the members as they are once the room is had, appended under the group's
     * membership read lock (see {@link GroupTable}): a change swaps the members and tells them
     * under its write lock, so no member gets the message before the event that let them in, nor
     * after the one that took them out. The wait for room comes before the lock, for the members
     * seen then; a member added meanwhile takes room without waiting, or the fan-out waits again
     * for them all (a few times at most, and within the one {@link #ROOM_WAIT_NANOS}).
     */
    private CompletableFuture<Void> fanOut(String from, ClientFrame.Send send, String msgId, long now)
            throws ProtocolException {
        Set<String> reserved = recipients(currentGroup(send, from), from);
        // Charged here, from the members it goes to, not when the send was read: a group_add read
        // before it, and not yet done then, may have made the group a thousand times larger. The
        // reader charged the one token every send costs; a send refused for the rate here gets it
        // back, so that being refused a costly message leaves the rate for a cheap one. (One
        // refused later, for want of room, keeps what it was charged: it cost the server a wait.)
        int charged = charge(from, send, 0, reserved.size());
        long deadline = System.nanoTime() + ROOM_WAIT_NANOS;
        for (int attempt = 1; ; attempt++) {
            if (!store.reserveRoom(reserved, Math.max(0, deadline - System.nanoTime()))) throw overloaded(send);
            ReentrantReadWriteLock membership = groups.membershipLock(send.group());
            if (membership == null) {
                store.releaseRoom(reserved);
                throw Groups.noSuchGroup(send.id(), send.group());
            }
            membership.readLock().lock();
            try {
                Group group;
                Set<String> to;
                try {
                    group = currentGroup(send, from);
                    to = recipients(group, from);
                    charged = charge(from, send, charged, to.size());
                } catch (ProtocolException e) {
                    store.releaseRoom(reserved);
                    if (e.code() != ErrorCode.RATE_LIMITED && charged > 0) {
                        store.giveBack(from, ChatStore.Budget.SEND, sendBurst, charged);
                    }
                    throw e;
                }
                List<String> joined = new ArrayList<>();
                for (String member : to) if (!reserved.contains(member)) joined.add(member);
                if (!joined.isEmpty() && !store.reserveRoom(joined, 0)) {
                    store.releaseRoom(reserved);
                    if (attempt == ROOM_ATTEMPTS) throw overloaded(send);
                    reserved = to; // and wait for room for them all, outside the lock
                    continue;
                }
                for (String member : reserved) if (!to.contains(member)) store.releaseRoom(member);
                return deliver(from, send, msgId, now, group, to);
            } finally {
                membership.readLock().unlock();
            }
        }
    }

    /** How many times a fan-out waits for room, when members added meanwhile need more than it had. */
    private static final int ROOM_ATTEMPTS = 3;

    /**
     * The group of a group send, if the sender is a member of it.
     *
     * @throws ProtocolException {@code no_such_group} or {@code not_member}
     */
    private Group currentGroup(ClientFrame.Send send, String from) throws ProtocolException {
        Group group = groups.get(send.group());
        if (group == null) throw Groups.noSuchGroup(send.id(), send.group());
        if (!group.isMember(from)) throw Groups.notMember(send.id(), send.group());
        return group;
    }

    private static Set<String> recipients(Group group, String from) {
        Set<String> to = new LinkedHashSet<>(group.members());
        to.remove(from);
        return to;
    }

    /**
     * Brings what a group send is charged beyond its first token, {@code charged} so far, to what
     * it costs for {@code recipients}, taking more or giving back; returns the new charge.
     *
     * @throws ProtocolException {@code rate_limited}, with everything it was charged given back
     */
    private int charge(String from, ClientFrame.Send send, int charged, int recipients) throws ProtocolException {
        int extra = Math.min(groupCost(recipients, send.body().length()), sendBurst) - 1;
        if (extra > charged
                && !store.allow(from, ChatStore.Budget.SEND, sendRate, sendBurst, System.nanoTime(), extra - charged)) {
            store.giveBack(from, ChatStore.Budget.SEND, sendBurst, charged + 1);
            throw new ProtocolException(ErrorCode.RATE_LIMITED, send.id(),
                    "a message this large to this many members takes more of your send rate; try again later");
        }
        if (extra < charged) store.giveBack(from, ChatStore.Budget.SEND, sendBurst, charged - extra);
        return extra;
    }

    /** Appends the message to each of {@code to}, into room reserved for each. */
    private CompletableFuture<Void> deliver(String from, ClientFrame.Send send, String msgId, long now, Group group,
                                            Set<String> to) throws ProtocolException {
        List<CompletableFuture<Void>> stored = new ArrayList<>(to.size());
        ProtocolException refused = null;
        for (String member : to) {
            try {
                stored.add(store.append(member,
                        seq -> new Msg(seq, msgId, from, member, group.id(), send.body(), send.media(), now),
                        null, ChatStore.Admission.FAN_OUT).durable());
            } catch (ProtocolException e) {
                store.releaseRoom(member);
                refused = e;
                metrics.groupMembersSkipped.increment();
                LOG.log(System.Logger.Level.DEBUG, "group message {0} not given to {1}: {2}",
                        msgId, member, e.getMessage());
            }
        }
        if (stored.isEmpty() && refused != null) {
            throw new ProtocolException(refused.code(), send.id(), refused.getMessage());
        }
        // A group of one (the sender): nothing was stored, so nothing is written, not even the key,
        // which would be a row a message with no room taken in the commit queue.
        if (stored.isEmpty()) return CompletableFuture.completedFuture(null);
        // The idempotency key is written once, on its own, after every member's item is safe: on
        // one of the items, it could reach disk while another member's write failed, and a retry
        // after a restart would then be answered ok for a message that member lacks.
        Commit.SendKey key = new Commit.SendKey(from, send.id(), msgId, now);
        return CompletableFuture.allOf(stored.toArray(CompletableFuture[]::new))
                .thenCompose(safe -> store.saveSendKey(key));
    }

    private static ProtocolException overloaded(ClientFrame.Send send) {
        return new ProtocolException(ErrorCode.OVERLOADED, send.id(), "the server is busy; try again later");
    }

    /** How long a fan-out waits for room in the commit queue before it is refused. */
    static final long ROOM_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

    /** Acknowledges a user's items up to {@code seq} and sends delivered receipts for the messages among them. */
    public void ack(String user, Endpoint endpoint, long seq) {
        List<InboxItem> dropped = store.ack(user, endpoint, seq);
        for (InboxItem item : dropped) {
            if (item instanceof Msg m) receipt(m.from(), m.msg(), ReceiptStatus.DELIVERED, user);
        }
    }

    /**
     * The reader has read a message: its sender gets a read receipt. Only the message's recipient
     * may say so; for a group message, any member of the group now other than its sender.
     */
    public void read(String reader, String msgId) throws ProtocolException {
        MessageIds.Parsed parsed = ids.parse(msgId);
        if (parsed == null || !readableBy(parsed, reader)) {
            throw new ProtocolException(ErrorCode.INVALID, null, "'read' names a message that was not sent to you");
        }
        // Each read is an item for the sender, and may be repeated: a budget of its own, as large
        // as the sending one, so that reading a backlog never costs the reader their sends.
        if (!store.allow(reader, ChatStore.Budget.READ, sendRate, sendBurst, System.nanoTime())) {
            throw new ProtocolException(ErrorCode.RATE_LIMITED, null,
                    "reading faster than send_rate allows; the receipt for " + msgId + " was not sent");
        }
        receipt(parsed.from(), msgId, ReceiptStatus.READ, reader);
    }

    private boolean readableBy(MessageIds.Parsed parsed, String reader) {
        if (parsed.to() != null) return parsed.to().equals(reader);
        if (parsed.from().equals(reader)) return false;
        Group group = groups.get(parsed.group());
        return group != null && group.isMember(reader);
    }

    private void receipt(String to, String msg, ReceiptStatus status, String by) {
        long now = System.currentTimeMillis();
        try {
            store.append(to, seq -> new Receipt(seq, msg, status, by, now), null, ChatStore.Admission.NOTICE);
        } catch (ProtocolException e) {
            // The sender's inbox is far over its limit or the server is overloaded: a receipt is
            // the one thing we may drop, since the message itself was delivered.
            LOG.log(System.Logger.Level.DEBUG, "receipt for {0} dropped: {1}", to, e.getMessage());
        }
    }

    /** The error frame for a failed send: a refusal as itself, anything else as {@code internal}. */
    public static ServerFrame.Error errorReply(String requestId, Throwable error) {
        return ProtocolException.replyTo(requestId, error, "the message could not be stored; try again");
    }
}
