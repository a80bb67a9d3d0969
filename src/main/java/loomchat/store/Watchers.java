package loomchat.store;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import loomchat.protocol.EncodedFrame;
import loomchat.protocol.ServerFrame;

/**
 * The connections watching one user's presence.
 *
 * <p>Its own lock, not the partition's, guards the set: telling thousands of watchers holds
 * up only those who subscribe to this one user at that moment, never the partition's other
 * users. The lock also puts a user's notices in order: whoever holds it reads the current
 * state and hands that to every watcher, so the last notice each watcher gets is the truth,
 * even when the user comes online and goes offline on two threads at once. Telling a watcher
 * is {@link Endpoint#offer}, which only queues (as does {@link Endpoint#reply}).
 *
 * <p>Lock order: this lock, then (inside {@code state.get()}) a partition lock, then an
 * outbox's lock. Nothing takes them the other way round.
 */
public final class Watchers {
    private final ReentrantLock lock = new ReentrantLock();
    private final Set<Endpoint> endpoints = new HashSet<>();

    /**
     * Adds a watcher and queues {@code reply} and then the current state to it. The reply is
     * queued as a reply, never dropped: a full queue may drop the state, never the answer the
     * client waits for.
     */
    public void add(Endpoint watcher, ServerFrame reply, Supplier<ServerFrame.Presence> state) {
        lock.lock();
        try {
            endpoints.add(watcher);
            watcher.reply(reply);
            watcher.offer(state.get());
        } finally {
            lock.unlock();
        }
    }

    public void remove(Endpoint watcher) {
        lock.lock();
        try {
            endpoints.remove(watcher);
        } finally {
            lock.unlock();
        }
    }

    /** Queues the current state to every watcher. */
    public void publish(Supplier<EncodedFrame> state) {
        lock.lock();
        try {
            if (endpoints.isEmpty()) return;
            EncodedFrame now = state.get(); // once for every watcher
            for (Endpoint e : endpoints) e.offer(now);
        } finally {
            lock.unlock();
        }
    }

    /** How many connections watch the user (for tests and metrics). */
    public int size() {
        lock.lock();
        try {
            return endpoints.size();
        } finally {
            lock.unlock();
        }
    }
}
