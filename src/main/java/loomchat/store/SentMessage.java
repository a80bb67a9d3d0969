package loomchat.store;

import java.util.concurrent.CompletableFuture;

/**
 * What a {@code send} answered, kept under its request id so that a retry gets the same answer.
 *
 * @param ts      when it was sent (ms); also the start of the request id's time on record
 * @param durable completes when the message is safe (durable or acknowledged); the {@code ok} waits for it
 */
public record SentMessage(String msg, long ts, CompletableFuture<Void> durable) {

    /** The send failed after it may have delivered: a retry goes again under the same msg and ts. */
    public boolean failed() {
        return durable.isCompletedExceptionally();
    }
}
