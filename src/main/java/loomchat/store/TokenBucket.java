package loomchat.store;

/**
 * A token bucket: {@code rate} tokens a second, at most {@code burst} saved up. Not thread-safe
 * (used under the partition lock); it allocates nothing per call.
 */
final class TokenBucket {
    private double tokens;
    private long lastNanos;

    TokenBucket(int burst, long now) {
        this.tokens = burst;
        this.lastNanos = now;
    }

    /** Takes one token if there is one. */
    boolean take(double rate, int burst, long nowNanos) {
        double refill = (nowNanos - lastNanos) / 1e9 * rate;
        tokens = Math.min(burst, tokens + refill);
        lastNanos = nowNanos;
        if (tokens < 1) return false;
        tokens -= 1;
        return true;
    }
}
