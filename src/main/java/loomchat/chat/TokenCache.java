package loomchat.chat;

import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import loomchat.db.Accounts;

/**
 * Recently used login tokens in memory, so that a token login (how every client comes back after
 * a network flap) costs a hash and a map lookup instead of a database query. A reconnect storm of
 * thousands of clients then never queues on the connection pool.
 *
 * <p>The database stays the truth: a token not found here is looked up there and remembered;
 * revoking removes it from both. The cache is bounded. Once full, it is swept at most once a
 * second: expired tokens go, and if that frees nothing, a rotating 1/{@value #SLICES} of the
 * tokens (by hash, so an arbitrary slice) go too, so that the cache follows the tokens in use
 * rather than keeping the first ones it met until they expire. Between sweeps a full cache does
 * not remember new tokens. Forgetting a token costs a database lookup at its next use.
 */
final class TokenCache {
    private static final Base64.Encoder KEY = Base64.getEncoder();

    private final int capacity;
    private final Map<String, Accounts.TokenOwner> byHash = new ConcurrentHashMap<>();
    /** Revocations so far: a login that read the database before a logout deleted the token must not cache it after. */
    private final AtomicLong revocations = new AtomicLong();
    /** When a full cache may next be swept for expired tokens: a sweep reads every entry, so at most once a second. */
    private final AtomicLong nextSweep = new AtomicLong();
    static final int SLICES = 64;
    /** The slice the next sweep that must make room empties. */
    private final AtomicInteger nextSlice = new AtomicInteger();

    TokenCache(int capacity) {
        this.capacity = capacity;
    }

    Accounts.TokenOwner get(byte[] tokenHash) {
        return byHash.get(KEY.encodeToString(tokenHash));
    }

    /** The count to pass to {@link #put}: read it before looking the token up in the database. */
    long revocations() {
        return revocations.get();
    }

    /**
     * Remembers a token read from the database, unless a token was revoked since {@code
     * revocationsBefore} was read: that may have been this one, deleted after we read it.
     * (Then it is not remembered, and its next use asks the database again.)
     */
    void put(byte[] tokenHash, Accounts.TokenOwner owner, long now, long revocationsBefore) {
        if (byHash.size() >= capacity) {
            long due = nextSweep.get();
            if (now >= due && nextSweep.compareAndSet(due, now + 1000)) {
                byHash.values().removeIf(o -> o.expires() < now);
                if (byHash.size() >= capacity) {
                    int slice = Math.floorMod(nextSlice.getAndIncrement(), SLICES);
                    byHash.keySet().removeIf(k -> Math.floorMod(k.hashCode(), SLICES) == slice);
                }
            }
            if (byHash.size() >= capacity) return;
        }
        String key = KEY.encodeToString(tokenHash);
        byHash.put(key, owner);
        // Checked after the put: a revocation counted later removes the token itself.
        if (revocations.get() != revocationsBefore) byHash.remove(key, owner);
    }

    /** Forgets a token whose row was deleted (call after the delete). */
    void remove(byte[] tokenHash) {
        revocations.incrementAndGet();
        byHash.remove(KEY.encodeToString(tokenHash));
    }
}
