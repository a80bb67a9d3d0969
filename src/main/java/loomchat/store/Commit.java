package loomchat.store;

import java.util.concurrent.CompletableFuture;

/**
 * One change that must reach the database, handed to the group committer. Operations of one
 * user are queued in the order they happened, and the committer applies them in that order.
 */
public sealed interface Commit {

    /** The user the operation belongs to; it decides the commit lane. */
    String user();

    /**
     * Write an inbox item, unless its recipient acknowledges it first (then it is skipped).
     * {@code done} completes when the item is durable or skipped.
     *
     * @param sendKey the sender's idempotency key, written with the item; null for items nobody sent
     */
    record WriteItem(String user, InboxEntry entry, SendKey sendKey, CompletableFuture<Void> done)
            implements Commit {
    }

    /** Drop the user's stored items with seq up to {@code upTo}: they were acknowledged. */
    record DeleteItems(String user, long upTo) implements Commit {
    }

    /** Make seq numbers up to {@code upTo} durable for the user, so none is ever given out twice. */
    record ReserveSeq(String user, long upTo) implements Commit {
    }

    /** Remember when the user was last online. */
    record SaveLastSeen(String user, long lastSeen) implements Commit {
    }

    /**
     * Write a sender's idempotency key on its own: a group message's, once every member's item is
     * safe, so that a key on disk never stands for a message some members lack. {@code done}
     * completes when it is durable.
     */
    record SaveSendKey(String user, SendKey key, CompletableFuture<Void> done) implements Commit {
    }

    /** An idempotency key: the sender's request id and what it answered. */
    record SendKey(String sender, String requestId, String msg, long ts) {
    }
}
