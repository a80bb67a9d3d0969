package loomchat.chat;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

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
 * Both maps are bounded: when one is full, expired windows are dropped first, and if it is still
 * full the new key is simply not tracked (a flood of distinct names then goes unthrottled per
 * name, but stays throttled per address).
 */
public final class LoginThrottle {
    static final int MAX_TRACKED = 100_000;

    private final int perUser;
    private final int perAddress;
    private final long windowMillis;
    private final Map<String, Window> byUser = new ConcurrentHashMap<>();
    private final Map<String, Window> byAddress = new ConcurrentHashMap<>();
    /** When each map, if full, may next be swept: a sweep reads every entry, so at most once a second. */
    private final AtomicLong nextUserSweep = new AtomicLong();
    private final AtomicLong nextAddressSweep = new AtomicLong();

    /** Failures counted since {@code start}. */
    private record Window(long start, AtomicInteger failures) {
    }

    public LoginThrottle(int perUser, int perAddress, long windowMillis) {
        this.perUser = perUser;
        this.perAddress = perAddress;
        this.windowMillis = windowMillis;
    }

    /** True if this user name or this address has failed too often lately. */
    public boolean blocked(String user, String address, long now) {
        return over(byUser, user, perUser, now) || over(byAddress, address, perAddress, now);
    }

    /** True if this address has failed too often lately (for token logins, whatever the name). */
    public boolean blocked(String address, long now) {
        return over(byAddress, address, perAddress, now);
    }

    /** A failed password login: counts for the name and for the address. */
    public void failed(String user, String address, long now) {
        count(byUser, user, now, nextUserSweep);
        count(byAddress, address, now, nextAddressSweep);
    }

    /** A failed token login: counts for the address only. */
    public void failed(String address, long now) {
        count(byAddress, address, now, nextAddressSweep);
    }

    /** A successful login clears the user's count (not the address's: one good password proves little there). */
    public void succeeded(String user) {
        byUser.remove(user);
    }

    private boolean over(Map<String, Window> map, String key, int limit, long now) {
        Window w = map.get(key);
        return w != null && now - w.start() < windowMillis && w.failures().get() >= limit;
    }

    private void count(Map<String, Window> map, String key, long now, AtomicLong nextSweep) {
        if (map.size() >= MAX_TRACKED && !map.containsKey(key)) {
            long due = nextSweep.get();
            if (now >= due && nextSweep.compareAndSet(due, now + 1000)) sweep(map, now);
            if (map.size() >= MAX_TRACKED) return;
        }
        // compute() keeps the window replacement atomic; the function is pure and quick.
        Window w = map.compute(key, (k, old) ->
                old == null || now - old.start() >= windowMillis ? new Window(now, new AtomicInteger()) : old);
        w.failures().incrementAndGet();
    }

    private void sweep(Map<String, Window> map, long now) {
        for (Iterator<Window> it = map.values().iterator(); it.hasNext(); ) {
            if (now - it.next().start() >= windowMillis) it.remove();
        }
    }
}
