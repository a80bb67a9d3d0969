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

    /** Takes {@code cost} tokens (at most {@code burst}, so that anything can pass in time) if there are that many. */
    boolean take(double rate, int burst, long nowNanos, int cost) {
        double refill = (nowNanos - lastNanos) / 1e9 * rate;
        tokens = Math.min(burst, tokens + refill);
        lastNanos = nowNanos;
        int n = Math.min(cost, burst);
        if (tokens < n) return false;
        tokens -= n;
        return true;
    }

    /** Gives back {@code n} tokens taken for something that was then not done. */
    void giveBack(int n, int burst) {
        tokens = Math.min(burst, tokens + n);
    }
}
