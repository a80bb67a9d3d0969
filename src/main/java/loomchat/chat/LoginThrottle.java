package loomchat.chat;

/**
 * Slows password guessing: after too many failed logins for one user name, or from one remote
 * address, within a window, further attempts get {@code rate_limited} without being checked.
 *
 * <p>Token logins count only per address. A token is 256 random bits, so there is nothing to
 * guess for one name, and counting them per name would let anyone who types ten wrong passwords
 * for a user keep that user's phone from reconnecting. Per address they still count, since every
 * bad token costs a database lookup.
 *
 * <p>Refused attempts cost no password hashing, so a guessing flood cannot burn the CPU either.
 * Both counts are bounded ({@link WindowCounter}): a flood of distinct names may go unthrottled
 * per name, but stays throttled per address.
 */
public final class LoginThrottle {
    private final WindowCounter byUser;
    private final WindowCounter byAddress;

    public LoginThrottle(int perUser, int perAddress, long windowMillis) {
        this.byUser = new WindowCounter(perUser, windowMillis);
        this.byAddress = new WindowCounter(perAddress, windowMillis);
    }

    /** True if this address has failed too often lately (for token logins, whatever the name). */
    public boolean blocked(String address, long now) {
        return byAddress.reached(address, now);
    }

    /**
     * A failed login counts for the address: a token login's, and a password login's once its
     * hash has said so (its name was counted by {@link #attempt}).
     */
    public void failed(String address, long now) {
        byAddress.count(address, now);
    }

    /**
     * A password login is about to be checked: false if this name or this address has failed too
     * often lately. Otherwise it counts as failed for the name until it {@linkplain #succeeded
     * succeeds}: counted before the hash, and with the check in one step, so that many guesses
     * at one name sent at once, each waiting seconds for its hash, cannot all pass the check
     * before any of them is counted. The address counts a failure when it is known (after the
     * hash), since one address may rightly have many logins in flight (a carrier's NAT, a load
     * generator); guesses in flight there are bounded by the hash queue.
     */
    public boolean attempt(String user, String address, long now) {
        if (byAddress.reached(address, now)) return false;
        return byUser.admit(user, now);
    }

    /**
     * A password login that was {@linkplain #attempt counted} succeeded: its own attempt is taken
     * back. The name's other failures stay for their window: they may be a guesser's, some still
     * waiting for their hashes, and clearing them at each login of the real user would give the
     * guesser a fresh window's worth of guesses every time.
     */
    public void succeeded(String user) {
        byUser.uncount(user);
    }

    /** A password login that was {@linkplain #attempt counted} was never checked (too busy to hash it). */
    public void unchecked(String user) {
        byUser.uncount(user);
    }
}
