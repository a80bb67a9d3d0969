/**
 * Persistence: what must survive a crash, behind HikariCP and plain JDBC.
 *
 * <p>{@link loomchat.db.Database} owns the pool and creates the schema from
 * {@code schema.sql}. {@link loomchat.db.GroupCommitter} is the write path of the message flow:
 * it collects the store's {@link loomchat.store.Commit} operations for a few milliseconds and
 * writes each lane's batch in one transaction, skipping inbox items acknowledged in the meantime.
 * {@link loomchat.db.Accounts} holds the account and token SQL, and {@link loomchat.db.Recovery}
 * loads the store back at start. The SQL is portable: H2 is the default, any JDBC URL works.
 */
package loomchat.db;
