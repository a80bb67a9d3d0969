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
 *
 * <p>Every per-address limit counts a client by {@link loomchat.chat.ClientAddress} (an IPv4
 * address, or an IPv6 /64), and {@link loomchat.chat.AddressCounts} counts connections that way
 * for both ports: those not yet logged in on the chat port, all of them on the HTTP port.
 */
package loomchat.chat;
