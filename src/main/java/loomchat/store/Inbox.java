package loomchat.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import loomchat.protocol.ServerFrame;

/**
 * One user's unacknowledged items in seq order, with the counters that drive delivery.
 * Not thread-safe: always used under the owning {@link Partition}'s lock.
 *
 * <p>The items sit in a ring buffer, so acknowledging takes from the front and the writer can
 * find the first item not yet pushed by index ({@code pushedCount}) rather than by scanning a
 * backlog it has already sent. An empty inbox holds no array at all: most users, most of the
 * time, have nothing waiting.
 */
final class Inbox {
    private static final InboxEntry[] NONE = new InboxEntry[0];

    private InboxEntry[] ring = NONE;
    private int head;
    private int size;
    /** Entries at the front already handed to the live session's writer. */
    private int pushedCount;
    /** Entries not yet handed to the writer that are not receipts: what a receipt may be sent ahead of. */
    private int unpushedNonReceipts;
    /** The messages' bodies' size, counted by {@link #weight}: what {@code max_inbox_bytes} bounds. */
    private long bodyBytes;
    /** The group events' size, counted by {@link #weight}: bounded apart, at twice {@code max_inbox_bytes}. */
    private long noticeBytes;
    /** Entries that are messages, as opposed to receipts and group events: counted apart against the cap. */
    private int messages;
    /** Entries that are receipts or group events. */
    private int notices;
    /**
     * Per sender, {messages, body bytes} of theirs held here. Made (by one scan) only when a
     * sender's share is first asked about, which happens only for a large inbox, and dropped when
     * the inbox drains: most inboxes never have it.
     */
    private Map<String, long[]> bySender;
    private static final long[] NOTHING = {0, 0};

    long nextSeq = 1;
    /** Highest seq whose reservation is durable: only items up to it may be pushed. */
    long durableSeq;
    /** Highest seq asked of the committer (at least {@link #durableSeq}). */
    long requestedSeq;
    long ackedSeq;

    int size() {
        return size;
    }

    long bodyBytes() {
        return bodyBytes;
    }

    long noticeBytes() {
        return noticeBytes;
    }

    int messages() {
        return messages;
    }

    int notices() {
        return notices;
    }

    /**
     * What an item weighs against the inbox's byte caps: a message its body's characters (a byte
     * each in a Latin-1 string, two otherwise), a group event the names it lists (up to a
     * thousand of them), a receipt nothing (it is small and fixed, and counts only against
     * {@code max_inbox_items}).
     */
    static long weight(ServerFrame.InboxItem item) {
        if (item instanceof ServerFrame.Msg m) return m.body() != null ? m.body().length() : 0;
        if (item instanceof ServerFrame.GroupEvent g) return ChatStore.namesWeight(g.users());
        return 0;
    }

    /** Items that will be delivered: all but those whose write failed. */
    int deliverable() {
        int n = 0;
        for (int i = 0; i < size; i++) if (!get(i).isFailed()) n++;
        return n;
    }

    /** How many messages from {@code sender} are held here (those counted out aside). */
    long messagesFrom(String sender) {
        return heldFrom(sender)[0];
    }

    /** The body bytes ({@link #weight}) of the messages from {@code sender} held here (those counted out aside). */
    long bytesFrom(String sender) {
        return heldFrom(sender)[1];
    }

    /** {messages, body bytes} from {@code sender}; the first ask counts every sender's, in one scan. */
    private long[] heldFrom(String sender) {
        if (bySender == null) {
            bySender = new HashMap<>();
            for (int i = 0; i < size; i++) if (!get(i).countedOut) countSender(get(i).item(), 1);
        }
        return bySender.getOrDefault(sender, NOTHING);
    }

    private void countSender(ServerFrame.InboxItem item, int sign) {
        if (!(item instanceof ServerFrame.Msg m)) return;
        long[] held = bySender.computeIfAbsent(m.from(), k -> new long[2]);
        held[0] += sign;
        held[1] += sign * weight(item);
        if (held[0] == 0) bySender.remove(m.from());
    }

    InboxEntry get(int i) {
        return ring[(head + i) & (ring.length - 1)];
    }

    /** The newest entry, or null when the inbox is empty. */
    InboxEntry last() {
        return size == 0 ? null : get(size - 1);
    }

    void append(InboxEntry e) {
        if (size == ring.length) grow();
        ring[(head + size) & (ring.length - 1)] = e;
        size++;
        count(e, 1);
        if (!isReceipt(e)) unpushedNonReceipts++;
    }

    /** Adds ({@code sign} 1) or takes away (-1) an entry's weight in the counts the caps check. */
    private void count(InboxEntry e, int sign) {
        if (e.item() instanceof ServerFrame.Msg) {
            messages += sign;
            bodyBytes += sign * weight(e.item());
        } else {
            notices += sign;
            noticeBytes += sign * weight(e.item());
        }
        if (bySender != null && !e.countedOut) countSender(e.item(), sign);
    }

    /**
     * Takes an entry whose write failed off its sender's share, if it is still here: its sender
     * was told of the failure and may send again, and must not be refused until the recipient
     * happens to ack past it. It still counts against the inbox's caps, which bound what the
     * inbox holds however many writes fail.
     */
    void countOut(InboxEntry e) {
        if (e.countedOut || e.seq() <= ackedSeq || size == 0) return;
        e.countedOut = true;
        if (bySender != null) countSender(e.item(), -1);
    }

    /**
     * Drops the entries at the back whose writes failed. Nothing after them is waiting to be
     * delivered, so no ack will ever pass them: kept, they would count against the caps until
     * the next item arrived, and an inbox that failed writes filled would refuse that item for
     * ever. They are on no disk, and seqs stay increasing (the next item takes a later one).
     */
    void dropFailedTail() {
        while (size > 0 && get(size - 1).isFailed()) {
            int at = (head + size - 1) & (ring.length - 1);
            InboxEntry e = ring[at];
            ring[at] = null;
            size--;
            count(e, -1);
            if (pushedCount > size) pushedCount = size;
            else if (!isReceipt(e)) unpushedNonReceipts--;
        }
        releaseIfEmpty();
    }

    /** Removes the entries with seq at most {@code upTo} from the front, returning them. */
    List<InboxEntry> ackUpTo(long upTo) {
        List<InboxEntry> dropped = new ArrayList<>();
        while (size > 0 && get(0).seq() <= upTo) {
            int at = head & (ring.length - 1);
            dropped.add(ring[at]);
            ring[at] = null;
            head++;
            size--;
            count(dropped.getLast(), -1);
            if (pushedCount > 0) pushedCount--;
            else if (!isReceipt(dropped.getLast())) unpushedNonReceipts--;
        }
        if (upTo > ackedSeq) ackedSeq = upTo;
        releaseIfEmpty();
        return dropped;
    }

    /** Lets a drained inbox cost nothing: no ring, no per-sender counts. */
    private void releaseIfEmpty() {
        if (size != 0) return;
        ring = NONE;
        head = 0;
        bySender = null;
    }

    /**
     * Items not yet handed to the live session's writer, receipts not counted: a receipt behind
     * other receipts gains nothing by an advance copy, and a flood of them (a large group's
     * delivered receipts) would only double its traffic.
     */
    int unpushedNonReceipts() {
        return unpushedNonReceipts;
    }

    /** The highest seq handed to the writer, or the acked seq when nothing is outstanding. */
    long pushedSeq() {
        return pushedCount == 0 ? ackedSeq : get(pushedCount - 1).seq();
    }

    /** Takes up to {@code max} items not yet pushed whose seq is durable, marking them pushed. */
    void pull(int max, List<ServerFrame.InboxItem> out) {
        int taken = 0;
        while (taken < max && pushedCount < size) {
            InboxEntry e = get(pushedCount);
            if (e.seq() > durableSeq) return;
            // A failed write answered its sender with an error, so it is not delivered either
            // (unless it went out before the failure was known: then it is a harmless extra).
            if (!e.isFailed()) {
                out.add(e.item());
                e.pushed = true;
                taken++;
            }
            pushedCount++;
            if (!isReceipt(e)) unpushedNonReceipts--;
        }
    }

    boolean hasPushable() {
        return pushedCount < size && get(pushedCount).seq() <= durableSeq;
    }

    /** A new session starts: everything unacknowledged will be pushed again, oldest first. */
    void rewind() {
        pushedCount = 0;
        unpushedNonReceipts = 0;
        for (int i = 0; i < size; i++) if (!isReceipt(get(i))) unpushedNonReceipts++;
    }

    private static boolean isReceipt(InboxEntry e) {
        return e.item() instanceof ServerFrame.Receipt;
    }

    private void grow() {
        int cap = ring.length == 0 ? 4 : ring.length * 2;
        InboxEntry[] bigger = new InboxEntry[cap];
        for (int i = 0; i < size; i++) bigger[i] = get(i);
        ring = bigger;
        head = 0;
    }
}
