/**
 * The partitioned in-memory state of the chat service: who is online, and every user's inbox
 * of items not yet acknowledged.
 *
 * <p>Users hash to {@link loomchat.store.Partition}s; each partition guards its users behind its
 * own {@link java.util.concurrent.locks.ReentrantLock}, held only for memory operations (never
 * for I/O), and no operation ever holds two partition locks. This is WhatsApp's (and Erlang's)
 * "partition everything": two users in different partitions never contend.
 *
 * <p>The store never touches the database. What must survive is handed, still under the
 * partition lock so that per-user order is kept, to a {@link loomchat.store.CommitQueue}
 * (implemented by the group committer in {@code db}) as {@link loomchat.store.Commit} operations.
 * A connection is seen only through the {@link loomchat.store.Endpoint} interface: the store
 * wakes it when items arrive, and its writer pulls them ({@link loomchat.store.ChatStore#pull}),
 * so an inbox itself is the outbound queue for everything durable.
 */
package loomchat.store;
