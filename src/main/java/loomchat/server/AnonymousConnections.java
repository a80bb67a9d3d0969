package loomchat.server;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts the connections not yet logged in per client address ({@link loomchat.chat.ClientAddress}),
 * and refuses one past {@code anonymous_per_address}.
 *
 * <p>Why: before login a connection is nobody's, and {@code max_connections} is shared by all. One
 * address opening connections and never logging in (each is closed after {@code login_timeout},
 * then opened again) would otherwise hold every slot and keep everyone else out. After login a
 * connection is a user's, one per user, and users cost a registration each, which is limited per
 * address too. The map holds an entry only while its address has a connection waiting to log in,
 * so it is bounded by {@code max_connections}.
 */
final class AnonymousConnections {
    private final int perAddress;
    private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

    AnonymousConnections(int perAddress) {
        this.perAddress = perAddress;
    }

    /** Counts a new connection from {@code key}; false (and nothing counted) if the address is at its limit. */
    boolean admit(String key) {
        boolean[] admitted = {false};
        counts.compute(key, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= perAddress) return n;
            admitted[0] = true;
            return now + 1;
        });
        return admitted[0];
    }

    /** A connection from {@code key} logged in or closed: it no longer counts. */
    void release(String key) {
        counts.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Connections waiting to log in, from all addresses: for the metrics. */
    int waiting() {
        int n = 0;
        for (int c : counts.values()) n += c;
        return n;
    }
}
