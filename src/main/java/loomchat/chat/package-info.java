/**
 * The chat service's rules, between a connection and the store: accounts and logins
 * ({@link loomchat.chat.Authenticator}), message routing with receipts and idempotent sends
 * ({@link loomchat.chat.Router}), group membership ({@link loomchat.chat.Groups}), presence and
 * typing ({@link loomchat.chat.Presence}), and message ids that carry their own proof of who may
 * mark them read ({@link loomchat.chat.MessageIds}). Classes here decide; the store holds state
 * and the database keeps what must survive.
 *
 * <p>Logins have helpers of their own. {@link loomchat.chat.PasswordHasher} computes the
 * deliberately slow password hashes on a few platform threads: a virtual thread is never
 * preempted, so a hash on a connection's thread would hold a carrier for its whole length.
 * {@link loomchat.chat.LoginThrottle} slows password guessing, and
 * {@link loomchat.chat.TokenCache} keeps recent tokens in memory, so that a reconnect storm does
 * not queue on the database.
 */
package loomchat.chat;
