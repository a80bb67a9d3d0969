package loomchat.store;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.function.Predicate;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;
import loomchat.protocol.ServerFrame.InboxItem;

/**
 * The in-memory state of every registered user (live session, inbox, last-seen time, recent send
 * ids, rate budgets, groups joined, presence watchers), split into partitions each behind its own lock.
 *
 * <p>Every method locks at most one partition, briefly, and does no I/O under it. Durable
 * changes are queued to the {@link CommitQueue} while the lock is held, which is what keeps
 * one user's operations in order on their way to the database.
 */
public final class ChatStore {
    /**
     * Seq numbers are made durable in blocks this large, ahead of use, so that after a crash a
     * user's seq continues above anything a client may have seen, without a write per item.
     */
    public static final long RESERVE_BLOCK = 1024;
    /**
     * A receipt with at least this many of the user's items (other than receipts) waiting ahead
     * of it to be pushed also goes out at once as a {@link ServerFrame.ReceiptNotice}: about one
     * pull of the writer, so only a real backlog costs the extra frame.
     */
    static final int RECEIPT_AHEAD_BACKLOG = 64;

    private final Partition[] parts;
    private final CommitQueue commits;
    private final int maxInboxItems;
    private final long maxInboxBytes;
    private final int sendersToFill;
    private final int sendKeysPerUser;
    private final long sendKeyTtlMillis;
    private final MessageIdShrinker ids;

    /**
     * @param sendersToFill how many senders it takes to fill an inbox: each may hold 1/n of it (1: no share)
     * @param ids           what a send key keeps of a message id, and how the id is rebuilt from it
     */
    public ChatStore(int partitions, CommitQueue commits, int maxInboxItems, long maxInboxBytes, int sendersToFill,
                     int sendKeysPerUser, long sendKeyTtlMillis, MessageIdShrinker ids) {
        this.parts = new Partition[partitions];
        for (int i = 0; i < partitions; i++) parts[i] = new Partition(i);
        this.commits = commits;
        this.maxInboxItems = maxInboxItems;
        this.maxInboxBytes = maxInboxBytes;
        this.sendersToFill = sendersToFill;
        this.sendKeysPerUser = sendKeysPerUser;
        this.sendKeyTtlMillis = sendKeyTtlMillis;
        this.ids = ids;
    }

    public int partitions() {
        return parts.length;
    }

    /** The partition a user lives in; stable for the life of the server. */
    public int partitionOf(String user) {
        return PartitionIndex.of(user, parts.length);
    }

    private Partition part(String user) {
        return parts[partitionOf(user)];
    }

    // ------------------------------------------------------------------ users

    /**
     * Adds a registered user (at registration, or when loading at start).
     *
     * @param reservedSeq the user's durable seq reservation: new seqs start above it
     */
    public void addUser(String user, long reservedSeq, long lastSeen) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.computeIfAbsent(user, UserState::new);
            st.inbox.durableSeq = Math.max(st.inbox.durableSeq, reservedSeq);
            st.inbox.requestedSeq = Math.max(st.inbox.requestedSeq, reservedSeq);
            st.inbox.nextSeq = Math.max(st.inbox.nextSeq, reservedSeq + 1);
            st.lastSeen = lastSeen;
        } finally {
            p.lock.unlock();
        }
    }

    public boolean exists(String user) {
        Partition p = part(user);
        p.lock.lock();
        try {
            return p.users.containsKey(user);
        } finally {
            p.lock.unlock();
        }
    }

    /**
     * True if {@code lastSeen} is still the time to write for {@code user}: they are offline and
     * have not come and gone since. A phone that flaps queues a time at every drop, and only the
     * last of them is worth a database write.
     */
    public boolean isLatestLastSeen(String user, long lastSeen) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            return st != null && st.session == null && st.lastSeen == lastSeen;
        } finally {
            p.lock.unlock();
        }
    }

    /** Puts back an item read from the database at start; items must come in seq order per user. */
    public void restoreItem(String user, InboxItem item) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st == null) return; // an orphan row of a deleted account: nobody to deliver to
            st.inbox.append(new InboxEntry(item, true));
            st.inbox.nextSeq = Math.max(st.inbox.nextSeq, item.seq() + 1);
            // A stored item was allocated under a durable reservation or is itself durable: pushable.
            st.inbox.durableSeq = Math.max(st.inbox.durableSeq, item.seq());
            st.inbox.requestedSeq = Math.max(st.inbox.requestedSeq, item.seq());
        } finally {
            p.lock.unlock();
        }
    }

    // --------------------------------------------------------------- sessions

    /** What {@link #attach} found: the session it replaced (or null) and how many items wait. */
    public record Attached(Endpoint previous, int pending) {
    }

    /**
     * Makes {@code endpoint} the user's live session. Everything not yet acknowledged will be
     * pulled again from the oldest; the caller wakes the endpoint once its login reply is queued.
     */
    public Attached attach(String user, Endpoint endpoint) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st == null) throw new IllegalStateException("no such user: " + user);
            Endpoint previous = st.session;
            st.session = endpoint;
            st.inbox.rewind();
            return new Attached(previous, st.inbox.deliverable());
        } finally {
            p.lock.unlock();
        }
    }

    /** Ends the session if it is still the user's live one; true if it was (the user is now offline). */
    public boolean detach(String user, Endpoint endpoint, long now) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st == null || st.session != endpoint) return false;
            st.session = null;
            st.lastSeen = now;
            commits.offer(p.index, new Commit.SaveLastSeen(user, now)); // best effort: presence only
            return true;
        } finally {
            p.lock.unlock();
        }
    }

    /** The user's live session, or null when offline. */
    public Endpoint session(String user) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            return st == null ? null : st.session;
        } finally {
            p.lock.unlock();
        }
    }

    // ---------------------------------------------------------------- inboxes

    /** An item placed in an inbox; {@code durable} completes once it is stored or acknowledged, whichever is first. */
    public record Appended(InboxItem item, CompletableFuture<Void> durable) {
    }

    /** How an item is admitted to an inbox, and what may refuse it. */
    public enum Admission {
        /**
         * A client's 1:1 send: refused at {@code max_inbox_items} messages or {@code max_inbox_bytes},
         * or when the commit queue is full. Receipts and events waiting do not count against it.
         */
        SEND,
        /**
         * An item the server makes itself (a receipt): allowed twice the inbox cap, counted
         * apart from messages, and still refused when the commit queue is full.
         */
        NOTICE,
        /**
         * One member's item of a fan-out whose room in the commit queue was {@linkplain
         * CommitQueue#reserve reserved} first: allowed twice the inbox cap and never refused for
         * lack of room. If it is refused anyway (the inbox is over even that), the caller gives
         * the room back.
         */
        FAN_OUT
    }

    /**
     * Appends an item to a user's inbox and queues it for writing.
     *
     * @param make builds the item from the seq it is given
     * @param sendKey the sender's idempotency key to store with it, or null
     */
    public Appended append(String owner, LongFunction<InboxItem> make, Commit.SendKey sendKey, Admission admission)
            throws ProtocolException {
        String requestId = sendKey == null ? null : sendKey.requestId();
        Partition p = part(owner);
        Endpoint wake = null;
        Endpoint receiptAhead = null;
        ServerFrame.ReceiptNotice advanceCopy = null;
        Appended appended;
        p.lock.lock();
        try {
            UserState st = p.users.get(owner);
            if (st == null) throw new ProtocolException(ErrorCode.NO_SUCH_USER, requestId, "no such user: " + owner);
            Inbox inbox = st.inbox;
            long seq = inbox.nextSeq;
            InboxItem item = make.apply(seq);
            // Messages and the server's own items (receipts, group events) are counted apart, so
            // that nobody can refuse messages to a user by making receipts for them (a read
            // repeated, say). Bytes too: a count alone would let the largest messages hold gigabytes.
            admit(owner, inbox, item, admission, requestId);
            // An online recipient will most likely ack the item soon: hold it for that, so that it
            // never touches disk. But behind an item still waiting for its write, wait as it does,
            // held or not: one user's items are written in order, and the committer takes held
            // items first, so a held item could reach disk before a prompt one queued ahead of it.
            InboxEntry previous = inbox.last();
            boolean held = previous != null && previous.pending() ? previous.held() : st.session != null;
            InboxEntry entry = new InboxEntry(item, false, held);
            CompletableFuture<Void> durable = entry.safe();
            Commit.WriteItem write = new Commit.WriteItem(owner, entry, sendKey, durable);
            if (admission == Admission.FAN_OUT) {
                commits.offerReserved(p.index, write);
            } else if (!commits.offer(p.index, write)) {
                throw new ProtocolException(ErrorCode.OVERLOADED, requestId, "the server is busy; try again later");
            }
            inbox.nextSeq = seq + 1;
            inbox.append(entry);
            if (inbox.requestedSeq - seq < RESERVE_BLOCK / 2) {
                reserveSeqsUpTo(p, owner, inbox, Math.max(inbox.requestedSeq, seq) + RESERVE_BLOCK);
            }
            if (st.session != null && seq <= inbox.durableSeq) wake = st.session;
            // Control before bulk: a check mark must not wait behind ten thousand pushed messages.
            // The inbox item stays where it is, so the cumulative ack still means what it says.
            if (st.session != null && item instanceof ServerFrame.Receipt r
                    && inbox.unpushedNonReceipts() >= RECEIPT_AHEAD_BACKLOG) {
                receiptAhead = st.session;
                advanceCopy = new ServerFrame.ReceiptNotice(r.msg(), r.status(), r.by(), r.ts());
            }
            appended = new Appended(item, durable);
        } finally {
            p.lock.unlock();
        }
        if (receiptAhead != null) receiptAhead.offer(advanceCopy);
        if (wake != null) wake.wake();
        return appended;
    }

    /**
     * What a list of names weighs in an inbox, as a group event's {@code users}: their characters
     * with the quotes and comma each takes on the wire. Public so that a group change can be
     * charged for its event before it is made.
     */
    public static int namesWeight(List<String> names) {
        int n = 0;
        for (String name : names) n += name.length() + 3;
        return n;
    }

    /**
     * Whether a message would take its sender past their share of a large inbox: one sender may
     * hold at most 1/{@code sendersToFill} of its caps, so that one spammer cannot fill an
     * offline user's inbox and so block everyone else's messages. For a group message the share
     * is of the doubled caps a fan-out may use ({@code limit}, {@code byteLimit}): a member past it
     * misses the message, which the others still get, so it takes a sender 2/{@code sendersToFill}
     * of the plain caps (a quarter at {@code inbox_senders_to_fill}'s default of 8). Counted per
     * sender only once the inbox as a whole could hold a share (before, no sender can be over it),
     * so a small inbox costs nothing here.
     */
    private boolean overShare(Inbox inbox, ServerFrame.Msg msg, long limit, long byteLimit) {
        if (sendersToFill <= 1) return false;
        long shareItems = limit / sendersToFill;
        long shareBytes = byteLimit / sendersToFill;
        long weight = Inbox.weight(msg);
        if (inbox.messages() < shareItems && inbox.bodyBytes() + weight <= shareBytes) return false;
        return inbox.messagesFrom(msg.from()) >= shareItems || inbox.bytesFrom(msg.from()) + weight > shareBytes;
    }

    /**
     * Reserves room in the commit queue for one item to each of {@code users}, waiting up to
     * {@code timeoutNanos} for it: a fan-out then reaches every member or, refused as a whole
     * ({@code false}), none of them; an interrupted wait counts as a refusal. Appends with
     * {@link Admission#FAN_OUT} use the room.
     */
    public boolean reserveRoom(java.util.Collection<String> users, long timeoutNanos) {
        int[] partitions = new int[users.size()];
        int i = 0;
        for (String u : users) partitions[i++] = partitionOf(u);
        try {
            return commits.reserve(partitions, timeoutNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Gives back the room reserved for an item to {@code user} that was not appended after all. */
    public void releaseRoom(String user) {
        commits.release(partitionOf(user));
    }

    /** Gives back the room reserved for {@code users}, one item each, none of them appended. */
    public void releaseRoom(java.util.Collection<String> users) {
        for (String user : users) releaseRoom(user);
    }

    /**
     * Moves up to {@code max} items not yet pushed into {@code out}, oldest first, if
     * {@code endpoint} is still the user's live session.
     */
    public void pull(String user, Endpoint endpoint, int max, List<InboxItem> out) {
        Partition p = part(user);
        // Straight into the caller's list: the writer looks here several times a message, most
        // often to find nothing, so a list of our own each time was much of the server's garbage.
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st == null || st.session != endpoint) return;
            st.inbox.pull(max, out);
        } finally {
            p.lock.unlock();
        }
    }

    /**
     * Acknowledges every item up to {@code upTo} (capped at what was pushed: a client cannot ack
     * what it was never sent) and returns the items dropped that the client was sent, so receipts
     * can be sent for them. (An item whose write failed before it was pushed was skipped, and
     * was not delivered.)
     */
    public List<InboxItem> ack(String user, Endpoint endpoint, long upTo) {
        Partition p = part(user);
        List<InboxEntry> received;
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st == null || st.session != endpoint) return List.of();
            long limit = Math.min(upTo, st.inbox.pushedSeq());
            if (limit <= st.inbox.ackedSeq) return List.of();
            received = st.inbox.ackUpTo(limit);
            boolean delete = false;
            for (InboxEntry e : received) if (e.markAcked()) delete = true;
            // An entry never pushed was passed over, not received: its write failed, and the
            // committer, which marked it so, is telling its sender. The ack must not answer first.
            received.removeIf(e -> !e.pushed);
            // Never refused for room (see GroupCommitter.takesRoom), and retried if its batch fails.
            if (delete) commits.offer(p.index, new Commit.DeleteItems(user, limit));
        } finally {
            p.lock.unlock();
        }
        List<InboxItem> items = new ArrayList<>(received.size());
        for (InboxEntry e : received) {
            items.add(e.item());
            // Acknowledged is safe: a sender still waiting for its ok gets it now, not at the next
            // commit. Outside the lock, since completing runs the senders' reply callbacks.
            e.safe().complete(null);
        }
        return items;
    }

    /** Called by the committer: seqs up to {@code upTo} are durably reserved; waiting items may go. */
    public void reserved(String user, long upTo) {
        Partition p = part(user);
        Endpoint wake = null;
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st == null) return;
            st.inbox.durableSeq = Math.max(st.inbox.durableSeq, upTo);
            if (st.session != null && st.inbox.hasPushable()) wake = st.session;
        } finally {
            p.lock.unlock();
        }
        if (wake != null) wake.wake();
    }

    /**
     * The committer could not write {@code entry}, and its sender is told so: it stops counting
     * against its sender's share of the inbox. It stays in place, undelivered, until acked past,
     * unless nothing deliverable follows it: then it goes, as no ack would ever pass it.
     */
    public void writeFailed(String user, InboxEntry entry) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st != null) {
                st.inbox.countOut(entry);
                st.inbox.dropFailedTail();
            }
        } finally {
            p.lock.unlock();
        }
    }

    /**
     * Under the partition's lock: refuses an item the inbox may not take. Messages and the server's
     * own items (receipts, group events) are counted apart, so that nobody can refuse messages to
     * a user by making receipts for them (a read repeated, say). Bytes too: a count alone would let
     * the largest messages hold gigabytes. A fan-out or a notice may fill twice the plain caps.
     */
    private void admit(String owner, Inbox inbox, InboxItem item, Admission admission, String requestId)
            throws ProtocolException {
        boolean message = item instanceof ServerFrame.Msg;
        long ofItsKind = message ? inbox.messages() : inbox.notices();
        long limit = admission == Admission.SEND ? maxInboxItems : 2L * maxInboxItems;
        long byteLimit = admission == Admission.SEND ? maxInboxBytes : 2L * maxInboxBytes;
        long bytesOfItsKind = message ? inbox.bodyBytes() : inbox.noticeBytes();
        if (ofItsKind >= limit || bytesOfItsKind + Inbox.weight(item) > byteLimit) {
            throw new ProtocolException(ErrorCode.OVERLOADED, requestId,
                    "the inbox of " + owner + " is full; try again later");
        }
        if (message && admission != Admission.NOTICE && overShare(inbox, (ServerFrame.Msg) item, limit, byteLimit)) {
            throw new ProtocolException(ErrorCode.OVERLOADED, requestId, "the inbox of " + owner
                    + " holds as much from you as it keeps from one sender until they read it; try again later");
        }
    }

    /**
     * Under the partition's lock: asks the committer to make seqs up to {@code target} durable;
     * remembered as asked only if the request was queued, so that a refused one is asked again.
     */
    private void reserveSeqsUpTo(Partition p, String user, Inbox inbox, long target) {
        if (commits.offer(p.index, new Commit.ReserveSeq(user, target))) inbox.requestedSeq = target;
    }

    /** Called by the committer when a reservation could not be written: the next append asks again. */
    public void reservationFailed(String user) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st == null) return;
            Inbox inbox = st.inbox;
            inbox.requestedSeq = inbox.durableSeq;
            // Items already allocated above the durable reservation (whose own writes may well
            // have succeeded) wait for it to be pushed: ask again now rather than at the next send.
            long highest = inbox.nextSeq - 1;
            if (highest > inbox.durableSeq) reserveSeqsUpTo(p, user, inbox, highest + RESERVE_BLOCK);
        } finally {
            p.lock.unlock();
        }
    }

    // --------------------------------------------------------- rate budgets

    /** What a user's rate budgets meter, each a token bucket of its own, made on first use. */
    public enum Budget {
        /** Messages ({@code send_rate}, {@code send_burst}). */
        SEND,
        /**
         * Typing notices. A notice to a group goes to every online member, so without a budget
         * one client could keep the server encoding for thousands.
         */
        TYPING,
        /**
         * Read receipts ({@code send_rate}, {@code send_burst}, apart from sends). Each is an
         * item in the sender's inbox (a row, if the sender is offline), and a {@code read} may be
         * repeated.
         */
        READ
    }

    /**
     * Takes one token from the user's {@code budget} ({@code rate} a second, bursts up to
     * {@code burst}); false when the user goes faster than that.
     */
    public boolean allow(String user, Budget budget, double rate, int burst, long nowNanos) {
        return allow(user, budget, rate, burst, nowNanos, 1);
    }

    /** Takes {@code cost} tokens (at most {@code burst}) from the user's {@code budget}; false if too few. */
    public boolean allow(String user, Budget budget, double rate, int burst, long nowNanos, int cost) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            return st != null && st.budget(budget, burst, nowNanos).take(rate, burst, nowNanos, cost);
        } finally {
            p.lock.unlock();
        }
    }

    /** Gives back {@code tokens} taken from the user's {@code budget} for something that was then refused. */
    public void giveBack(String user, Budget budget, int burst, int tokens) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st != null) st.budget(budget, burst, System.nanoTime()).giveBack(tokens, burst);
        } finally {
            p.lock.unlock();
        }
    }

    // --------------------------------------------------------- idempotent sends

    /**
     * The outcome of {@link #claimSend}: the answer on record, whether this call created it, and
     * whether it is the retry of a send that failed (whose id must then be kept if it fails again).
     */
    public record Claim(SentMessage sent, boolean fresh, boolean retry) {
    }

    /**
     * Looks up a sender's request id; if unknown, records {@code fresh} under it. A repeated id
     * gets the first send's answer, even while that send is still on its way to disk. The retry
     * of a send that failed is fresh again, under the failed send's {@code msg} and {@code ts} if
     * {@code reusable} accepts that msg (it was made for the same target), else under fresh's.
     */
    public Claim claimSend(String sender, String requestId, SentMessage fresh, Predicate<String> reusable) {
        Partition p = part(sender);
        p.lock.lock();
        try {
            UserState st = p.users.get(sender);
            if (st == null) return new Claim(fresh, true, false);
            SentMessage kept = st.sendKeys().get(requestId, fresh.ts(), sendKeyTtlMillis);
            if (kept == null) {
                st.sendKeys().put(requestId, shrunk(fresh), sendKeysPerUser, fresh.ts(), sendKeyTtlMillis);
                return new Claim(fresh, true, false);
            }
            SentMessage known = new SentMessage(ids.expand(kept.msg(), sender, requestId, kept.ts()), kept.ts(),
                    kept.durable());
            if (!known.failed()) return new Claim(known, false, false);
            if (!reusable.test(known.msg())) { // the id reused for another target: a new message
                st.sendKeys().remove(requestId, known);
                st.sendKeys().put(requestId, shrunk(fresh), sendKeysPerUser, fresh.ts(), sendKeyTtlMillis);
                return new Claim(fresh, true, true);
            }
            SentMessage again = new SentMessage(known.msg(), known.ts(), fresh.durable());
            st.sendKeys().retry(requestId, known.durable(), again.durable());
            return new Claim(again, true, true);
        } finally {
            p.lock.unlock();
        }
    }

    /** What a send key keeps of a send's answer: the shrunk id, and the same time and future. */
    private SentMessage shrunk(SentMessage sent) {
        return new SentMessage(ids.shrink(sent.msg()), sent.ts(), sent.durable());
    }

    /**
     * Notes that a send is safe, so that its request id no longer holds the send's future: a
     * retry is answered at once, and the future is garbage before it can age.
     */
    public void settleSend(String sender, String requestId, SentMessage sent) {
        withSendKeys(sender, keys -> keys.settle(requestId, sent));
    }

    /**
     * True if {@code requestId} is on record for the sender: a retry, which is answered with the
     * first send's {@code ok}, and so is never refused for the sending rate.
     */
    public boolean knowsSend(String sender, String requestId, long now) {
        Partition p = part(sender);
        p.lock.lock();
        try {
            UserState st = p.users.get(sender);
            SentMessage known = st == null ? null : st.sendKeys().get(requestId, now, sendKeyTtlMillis);
            return known != null && !known.failed();
        } finally {
            p.lock.unlock();
        }
    }

    /**
     * Writes a sender's idempotency key on its own (a group message's, once all its items are
     * safe); the future completes when it is durable. It takes no room in the commit queue, so it
     * is refused ({@code overloaded}) only while the server shuts down.
     */
    public CompletableFuture<Void> saveSendKey(Commit.SendKey key) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!commits.offer(part(key.sender()).index, new Commit.SaveSendKey(key.sender(), key, done))) {
            done.completeExceptionally(new ProtocolException(ErrorCode.OVERLOADED, key.requestId(),
                    "the server is busy; try again later"));
        }
        return done;
    }

    /** Forgets a send refused before it delivered anything, so that a retry with the same id is tried afresh. */
    public void forgetSend(String sender, String requestId, SentMessage sent) {
        withSendKeys(sender, keys -> keys.remove(requestId, sent));
    }

    private void withSendKeys(String sender, Consumer<SendKeys> action) {
        Partition p = part(sender);
        p.lock.lock();
        try {
            UserState st = p.users.get(sender);
            if (st != null) action.accept(st.sendKeys());
        } finally {
            p.lock.unlock();
        }
    }

    // ----------------------------------------------------------------- groups

    /** Records that the user is now a member of the group, for {@link #groupsOf}. */
    public void joinedGroup(String user, String groupId) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st == null) return;
            if (st.groups == null) st.groups = new LinkedHashSet<>(4);
            st.groups.add(groupId);
        } finally {
            p.lock.unlock();
        }
    }

    public void leftGroup(String user, String groupId) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st == null || st.groups == null) return;
            st.groups.remove(groupId);
            if (st.groups.isEmpty()) st.groups = null;
        } finally {
            p.lock.unlock();
        }
    }

    /** How many groups the user is in. */
    public int groupCount(String user) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            return st == null || st.groups == null ? 0 : st.groups.size();
        } finally {
            p.lock.unlock();
        }
    }

    /** The ids of the groups the user is in, in the order they were added here (at start, in group id order). */
    public List<String> groupsOf(String user) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            return st == null || st.groups == null ? List.of() : List.copyOf(st.groups);
        } finally {
            p.lock.unlock();
        }
    }

    // --------------------------------------------------------------- presence

    /**
     * The watchers of a user's presence, made on first use when {@code create} is set; null
     * for an unknown user, or when nobody ever watched and {@code create} is not set.
     */
    public Watchers watchers(String user, boolean create) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st == null) return null;
            if (st.watchers == null && create) st.watchers = new Watchers();
            return st.watchers;
        } finally {
            p.lock.unlock();
        }
    }

    /**
     * The user's presence now: online, or offline with when they were last seen (no
     * {@code last_seen} for a user never seen online since registering).
     */
    public ServerFrame.Presence presence(String user) {
        Partition p = part(user);
        p.lock.lock();
        try {
            UserState st = p.users.get(user);
            if (st != null && st.session != null) return new ServerFrame.Presence(user, true, null);
            long seen = st == null ? 0 : st.lastSeen;
            return new ServerFrame.Presence(user, false, seen > 0 ? seen : null);
        } finally {
            p.lock.unlock();
        }
    }
}
