package loomchat.store;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import loomchat.protocol.ServerFrame.InboxItem;

/**
 * One item in a user's inbox, with the state of its race between being acknowledged and being written.
 *
 * <p>The group committer and the acknowledging client race for a pending entry with one CAS:
 * if the ack wins, the item is never written ("most messages never touch disk"); if the
 * committer wins, the ack must delete the stored row afterwards. Either way the first of the
 * two makes the item {@link #safe()}.
 */
public final class InboxEntry {
    static final int PENDING = 0;
    static final int WRITING = 1;
    static final int WRITTEN = 2;
    static final int ACKED = 3;
    static final int FAILED = 4;

    private final InboxItem item;
    private final boolean held;
    private final AtomicInteger state;
    private final CompletableFuture<Void> safe;
    /**
     * Taken off its sender's share of the inbox because its write failed ({@link Inbox#countOut}).
     * Under the partition's lock.
     */
    boolean countedOut;
    /** Handed to a session's writer at least once: its recipient may have it. Under the partition's lock. */
    boolean pushed;
    /**
     * Queued again after its batch failed ({@code GroupCommitter}'s requeue): its row may exist
     * after all (a commit that succeeded but reported failure), so it is written over, not inserted.
     * Read and written by its commit lane only.
     */
    public boolean rewrite;

    InboxEntry(InboxItem item, boolean alreadyStored) {
        this(item, alreadyStored, false);
    }

    InboxEntry(InboxItem item, boolean alreadyStored, boolean held) {
        this.item = item;
        this.held = held;
        this.state = new AtomicInteger(alreadyStored ? WRITTEN : PENDING);
        this.safe = alreadyStored ? CompletableFuture.completedFuture(null) : new CompletableFuture<>();
    }

    /**
     * Completes once the item is safe: written by the committer, or acknowledged by its recipient,
     * whichever comes first. A sender's {@code ok} waits on it, so an online recipient's ack
     * answers the sender at once, whether or not the item is ever written.
     */
    public CompletableFuture<Void> safe() {
        return safe;
    }

    /**
     * Whether the committer holds this item for its recipient's ack ({@code ack_grace}) rather
     * than writing it after {@code group_commit_delay}: it was appended while its recipient was
     * online, or behind another held item (so that one user's items are written in order).
     */
    public boolean held() {
        return held;
    }

    /** Whether the entry is still waiting for its ack or its write. */
    boolean pending() {
        return state.get() == PENDING;
    }

    /** Whether its recipient acknowledged it before it was written: it will never touch disk. */
    public boolean acked() {
        return state.get() == ACKED;
    }

    public InboxItem item() {
        return item;
    }

    /** What it weighs against the inbox's byte caps ({@link Inbox#weight}): a body, or a group event's names. */
    public long weight() {
        return Inbox.weight(item);
    }

    public long seq() {
        return item.seq();
    }

    /** The committer claims the entry for writing; false means it was acked first and must be skipped. */
    public boolean claimForWrite() {
        return state.compareAndSet(PENDING, WRITING);
    }

    /** Marks an entry the committer claimed as written; no effect on one it skipped (acknowledged first). */
    public void markWritten() {
        state.compareAndSet(WRITING, WRITTEN);
    }

    /**
     * Marks the entry failed: the batch that held it failed (before or after claiming it), and it
     * will not be delivered. No effect on an entry acknowledged first.
     */
    public void markFailed() {
        if (!state.compareAndSet(WRITING, FAILED)) state.compareAndSet(PENDING, FAILED);
    }

    /**
     * Gives back the committer's claim after its batch failed, for an item that will be written
     * again: it is pending as before, so an ack meanwhile means it is never written at all.
     */
    public void unclaim() {
        state.compareAndSet(WRITING, PENDING);
    }

    /** The write failed and the sender was told so: the item must not be delivered from now on. */
    boolean isFailed() {
        return state.get() == FAILED;
    }

    /**
     * Marks the entry acknowledged, the ack's side of the race: a pending entry will now never be
     * written. True if the committer claimed it first, so a stored copy may exist and must be deleted.
     */
    boolean markAcked() {
        if (state.compareAndSet(PENDING, ACKED)) return false;
        int s = state.get();
        return s == WRITING || s == WRITTEN;
    }
}
