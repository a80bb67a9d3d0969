package loomchat.store;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Every group in memory, by id, in partitions of their own (a group belongs to no user's
 * partition). Each partition is a lock and a map, held only long enough to read or swap a
 * {@link Group} reference; the groups themselves are immutable.
 *
 * <p>Besides the current {@link Group}, each entry carries its change lock: membership changes
 * of one group take it for their whole check-write-apply sequence, database write included, so
 * that two admins adding members at once cannot both pass the size check. It is the only lock
 * held across I/O, and it guards only the rare membership changes of that one group: sends,
 * typing and {@code group_info} never take it.
 */
public final class GroupTable {
    private final Part[] parts;

    public GroupTable(int partitions) {
        parts = new Part[partitions];
        for (int i = 0; i < partitions; i++) parts[i] = new Part();
    }

    /** The group as it is now, or null if there is none with this id. */
    public Group get(String id) {
        Part p = part(id);
        p.lock.lock();
        try {
            Entry e = p.groups.get(id);
            return e == null ? null : e.group;
        } finally {
            p.lock.unlock();
        }
    }

    /** The lock that serializes membership changes of the group, or null if there is none with this id. */
    public ReentrantLock changeLock(String id) {
        Part p = part(id);
        p.lock.lock();
        try {
            Entry e = p.groups.get(id);
            return e == null ? null : e.changes;
        } finally {
            p.lock.unlock();
        }
    }

    /** Adds a group, or replaces it with its new state (its change lock stays the same). */
    public void put(Group group) {
        Part p = part(group.id());
        p.lock.lock();
        try {
            Entry e = p.groups.get(group.id());
            if (e == null) p.groups.put(group.id(), new Entry(group));
            else e.group = group;
        } finally {
            p.lock.unlock();
        }
    }

    /** Forgets a group whose last member left. */
    public void remove(String id) {
        Part p = part(id);
        p.lock.lock();
        try {
            p.groups.remove(id);
        } finally {
            p.lock.unlock();
        }
    }

    private Part part(String id) {
        return parts[PartitionIndex.of(id, parts.length)];
    }

    private static final class Part {
        final ReentrantLock lock = new ReentrantLock();
        final Map<String, Entry> groups = new HashMap<>();
    }

    private static final class Entry {
        final ReentrantLock changes = new ReentrantLock();
        Group group;

        Entry(Group group) {
            this.group = group;
        }
    }
}
