package loomchat.store;

/** Where the store hands durable changes; implemented by the group committer. */
public interface CommitQueue {

    /**
     * Queues an operation without blocking.
     *
     * @param partition the partition of {@link Commit#user()}: operations of one partition keep their order
     * @return false when the queue is full (the caller answers {@code overloaded})
     */
    boolean offer(int partition, Commit op);
}
