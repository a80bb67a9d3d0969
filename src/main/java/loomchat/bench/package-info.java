/**
 * The load generator behind {@code loomchat bench}, and the soak behind {@code loomchat soak}:
 * workloads that drive a running server through the project's own client library and measure
 * it: a {@link loomchat.client.ChatClient} per connection, except the open-loop relay, which
 * runs all its connections on one {@link loomchat.client.ClientLoop} so that the generator takes
 * as little of a shared machine as it can.
 *
 * <p>{@link loomchat.bench.Relay} pairs senders with receivers and checks that every message
 * arrives exactly once and in order; {@link loomchat.bench.Idle} holds thousands of logged-in
 * connections and weighs them in server RSS and live heap; {@link loomchat.bench.Reconnect}
 * drops them all and times their return; {@link loomchat.bench.GroupFanout} sends into one large
 * group. Latencies go into HdrHistograms, a {@link loomchat.bench.Progress} line shows the run
 * once a second, and a {@link loomchat.bench.Report} is the result, as a table or one JSON line.
 * Accounts are registered once per server and then logged in by token
 * ({@link loomchat.bench.TokenBook}), since a password login costs a deliberately slow hash.
 *
 * <p>{@link loomchat.bench.Soak} runs for a bounded time: {@link loomchat.bench.SoakUser}s chat
 * 1:1 and in groups while their connections drop, log out and come back, then a drain and an
 * audit ({@link loomchat.bench.SoakLedger}) check that every acknowledged message reached each of
 * its recipients and nothing else arrived. Only the audit decides the result; the server's RSS,
 * sampled alongside ({@link loomchat.bench.RssTrend}), is reported with whether it levelled off.
 */
package loomchat.bench;
