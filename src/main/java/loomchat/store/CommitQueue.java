package loomchat.store;

/**
 * Where the store hands durable changes; implemented by the group committer.
 *
 * <p>The queue is bounded. An item write and a last-seen time each hold one unit of room from
 * their offer until their batch is done (committed or failed), or until they are dropped
 * unwritten (acknowledged, superseded); seq reservations, group send keys and deletes of
 * acknowledged rows take none (the committer's {@code takesRoom} says why). A single item takes
 * its room when it is offered and is refused when there is none; a group fan-out
 * {@linkplain #reserve reserves} room for all its items first, so that it is either refused as a
 * whole or reaches every member, never a few of them.
 */
public interface CommitQueue {

    /**
     * Queues an operation without blocking.
     *
     * @param partition the partition of {@link Commit#user()}: operations of one partition keep their order
     * @return false when the queue is full (the caller answers {@code overloaded})
     */
    boolean offer(int partition, Commit op);

    /**
     * Waits until there is room for one operation in each of {@code partitions} (a partition may
     * appear more than once), or until {@code timeoutNanos} passes. The room is then held for
     * {@link #offerReserved}; what is not used must be given back with {@link #release}.
     *
     * @return false on timeout, holding nothing
     */
    boolean reserve(int[] partitions, long timeoutNanos) throws InterruptedException;

    /** Queues an operation into room reserved for it; never refused. */
    void offerReserved(int partition, Commit op);

    /** Gives back reserved room that was not used. */
    void release(int partition);
}
