/**
 * Persistence: what must survive a crash, behind HikariCP and plain JDBC.
 *
 * <p>{@link loomchat.db.Database} owns the pool and creates the schema from
 * {@code schema.sql}. {@link loomchat.db.GroupCommitter} is the write path of the message flow:
 * it holds the store's {@link loomchat.store.Commit} operations for {@code group_commit_delay},
 * or up to {@code ack_grace} for an online recipient's items (10 s for last-seen times), and
 * writes each lane's batch in one transaction. The holding is what lets it skip an item
 * acknowledged in the meantime, which then never touches disk.
 * {@link loomchat.db.Accounts} holds the account and token SQL, {@link loomchat.db.GroupRecords}
 * the group SQL (and loads the groups at start), and {@link loomchat.db.Recovery} loads the rest
 * of the store back at start, once {@code IndexRepair} has built again any index of H2's that a
 * crash left out of step with its table. {@link loomchat.db.Housekeeping} deletes expired tokens and old
 * send ids now and then. The SQL is portable: H2 is the default, any JDBC URL works.
 */
package loomchat.db;
