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

    /** True if this user name or this address has failed too often lately. */
    public boolean blocked(String user, String address, long now) {
        return byUser.reached(user, now) || byAddress.reached(address, now);
    }

    /** True if this address has failed too often lately (for token logins, whatever the name). */
    public boolean blocked(String address, long now) {
        return byAddress.reached(address, now);
    }

    /** A failed password login: counts for the name and for the address. */
    public void failed(String user, String address, long now) {
        byUser.count(user, now);
        byAddress.count(address, now);
    }

    /** A failed token login: counts for the address only. */
    public void failed(String address, long now) {
        byAddress.count(address, now);
    }

    /** A successful login clears the user's count (not the address's: one good password proves little there). */
    public void succeeded(String user) {
        byUser.clear(user);
    }
}
