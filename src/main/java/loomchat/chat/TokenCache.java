package loomchat.chat;

import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import loomchat.db.Accounts;

/**
 * Recently used login tokens in memory, so that a token login (how every client comes back after
 * a network flap) costs a hash and a map lookup instead of a database query. A reconnect storm of
 * thousands of clients then never queues on the connection pool.
 *
 * <p>The database stays the truth: a token not found here is looked up there and remembered;
 * revoking removes it from both. The cache is bounded: once full, further tokens are simply not
 * remembered (their logins still work, through the database) until expired ones are swept out.
 */
final class TokenCache {
    private static final Base64.Encoder KEY = Base64.getEncoder();

    private final int capacity;
    private final Map<String, Accounts.TokenOwner> byHash = new ConcurrentHashMap<>();

    TokenCache(int capacity) {
        this.capacity = capacity;
    }

    Accounts.TokenOwner get(byte[] tokenHash) {
        return byHash.get(KEY.encodeToString(tokenHash));
    }

    void put(byte[] tokenHash, Accounts.TokenOwner owner, long now) {
        if (byHash.size() >= capacity) {
            byHash.values().removeIf(o -> o.expires() < now);
            if (byHash.size() >= capacity) return;
        }
        byHash.put(KEY.encodeToString(tokenHash), owner);
    }

    void remove(byte[] tokenHash) {
        byHash.remove(KEY.encodeToString(tokenHash));
    }
}
