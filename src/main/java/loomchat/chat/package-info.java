/**
 * The chat service's rules, between a connection and the store: accounts and logins
 * ({@link loomchat.chat.Authenticator}), message routing with receipts and idempotent sends
 * ({@link loomchat.chat.Router}), and message ids that carry their own proof of who may mark
 * them read ({@link loomchat.chat.MessageIds}). Classes here decide; the store holds state
 * and the database keeps what must survive.
 */
package loomchat.chat;
