package loomchat.chat;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts connections per client address ({@link ClientAddress}) and refuses one past a limit.
 *
 * <p>The chat port counts its connections that have not logged in ({@code anonymous_per_address}):
 * before login a connection is nobody's, and one address opening connections and never logging
 * in would otherwise hold every slot and keep everyone else out. The HTTP port counts all of its
 * connections ({@code http_per_address}), as it has no login to end the count. The map holds an
 * entry only while its address has a counted connection, so it is bounded by the port's
 * connection limit.
 */
public final class AddressCounts {
    private final int perAddress;
    private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

    public AddressCounts(int perAddress) {
        this.perAddress = perAddress;
    }

    /** Counts a new connection from {@code key}; false (and nothing counted) if the address is at its limit. */
    public boolean admit(String key) {
        boolean[] admitted = {false};
        counts.compute(key, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= perAddress) return n;
            admitted[0] = true;
            return now + 1;
        });
        return admitted[0];
    }

    /** A connection from {@code key} no longer counts (it logged in, or closed). */
    public void release(String key) {
        counts.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Counted connections, from all addresses: for the metrics. */
    public int total() {
        int n = 0;
        for (int c : counts.values()) n += c;
        return n;
    }
}
