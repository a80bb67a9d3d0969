/**
 * The partitioned in-memory state of the chat service: who is online, every user's inbox of
 * items not yet acknowledged, each sender's recent send ids ({@link loomchat.store.SendKeys}),
 * who watches whose presence ({@link loomchat.store.Watchers}), and the groups
 * ({@link loomchat.store.GroupTable}).
 *
 * <p>Users hash to {@link loomchat.store.Partition}s; each partition guards its users behind its
 * own {@link java.util.concurrent.locks.ReentrantLock}, held only for memory operations (never
 * for I/O), and no operation ever holds two partition locks. This is WhatsApp's (and Erlang's)
 * "partition everything": two users in different partitions never contend.
 *
 * <p>Two kinds of state have locks of their own. Groups belong to no user's partition: the
 * {@link loomchat.store.GroupTable} keeps them in partitions of its own, each group an immutable
 * {@link loomchat.store.Group} replaced whole on a change. A group's membership changes take that
 * group's change lock across their wait for commit-queue room and their database write, so that
 * two admins cannot both pass the size check: the one lock here held across I/O or a wait, and
 * only those rare changes take it. A group's membership lock orders its events and messages in
 * every inbox: a change swaps the group and appends its events under the write lock, a send
 * appends its items under the read lock (its room reserved before); neither waits or does I/O
 * under it. A watched user's {@link loomchat.store.Watchers} have their own lock, so that
 * telling thousands of watchers holds up none of the partition's other users.
 *
 * <p>The store never touches the database. What must survive is handed, still under the
 * partition lock so that per-user order is kept, to a {@link loomchat.store.CommitQueue}
 * (implemented by the group committer in {@code db}) as {@link loomchat.store.Commit} operations.
 * A connection is seen only through the {@link loomchat.store.Endpoint} interface: the store
 * wakes it when items arrive, and its writer pulls them ({@link loomchat.store.ChatStore#pull}),
 * so an inbox itself is the outbound queue for everything durable.
 */
package loomchat.store;
