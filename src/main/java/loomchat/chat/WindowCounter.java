package loomchat.chat;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts events per key (a user name, a remote address) within a fixed window, in a bounded map,
 * and says when a key has reached its limit.
 *
 * <p>The keys come from the network, so the map is bounded: when it is full, expired windows are
 * dropped first (a sweep reads every entry, so at most once a second), and if it is still full a
 * new key is simply not counted. Whoever uses it must be safe with that: a flood of distinct
 * keys goes uncounted, so each use pairs it with a key the flood cannot vary (the address).
 */
final class WindowCounter {
    static final int MAX_TRACKED = 100_000;

    private final int limit;
    private final long windowMillis;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    /** When the map, if full, may next be swept. */
    private final AtomicLong nextSweep = new AtomicLong();

    /** Events counted since {@code start}. */
    private record Window(long start, AtomicInteger events) {
    }

    WindowCounter(int limit, long windowMillis) {
        this.limit = limit;
        this.windowMillis = windowMillis;
    }

    /** True if {@code key} has had {@code limit} events within the current window. */
    boolean reached(String key, long now) {
        Window w = windows.get(key);
        return w != null && now - w.start() < windowMillis && w.events().get() >= limit;
    }

    /** Counts one event for {@code key}. */
    void count(String key, long now) {
        if (!roomFor(key, now)) return;
        // compute() keeps the window replacement atomic; the function is pure and quick.
        Window w = windows.compute(key, (k, old) -> current(old, now));
        w.events().incrementAndGet();
    }

    /**
     * Counts one event for {@code key} if it has not reached its limit, in one step, so that many
     * callers at once cannot all pass a check made before any of them counts; false (and nothing
     * counted) if it has.
     */
    boolean admit(String key, long now) {
        if (!roomFor(key, now)) return true; // untracked, as the class comment says
        boolean[] admitted = {false};
        windows.compute(key, (k, old) -> {
            Window w = current(old, now);
            if (w.events().get() < limit) {
                w.events().incrementAndGet();
                admitted[0] = true;
            }
            return w;
        });
        return admitted[0];
    }

    private Window current(Window old, long now) {
        return old == null || now - old.start() >= windowMillis ? new Window(now, new AtomicInteger()) : old;
    }

    /** Whether the map may hold {@code key}: it is there, or there is room (after a sweep, at most once a second). */
    private boolean roomFor(String key, long now) {
        if (windows.size() < MAX_TRACKED || windows.containsKey(key)) return true;
        long due = nextSweep.get();
        if (now >= due && nextSweep.compareAndSet(due, now + 1000)) sweep(now);
        return windows.size() < MAX_TRACKED;
    }

    /** Takes back one event counted for {@code key} (never below zero): it turned out not to count. */
    void uncount(String key) {
        Window w = windows.get(key);
        if (w != null) w.events().updateAndGet(n -> Math.max(0, n - 1));
    }

    /** Forgets {@code key}'s count. */
    void clear(String key) {
        windows.remove(key);
    }

    private void sweep(long now) {
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
            if (now - it.next().start() >= windowMillis) it.remove();
        }
    }
}
