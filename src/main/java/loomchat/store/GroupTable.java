package loomchat.store;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Every group in memory, by id, in partitions of their own (a group belongs to no user's
 * partition). Each partition is a lock and a map, held only long enough to read or swap a
 * {@link Group} reference; the groups themselves are immutable.
 *
 * <p>Besides the current {@link Group}, each entry carries two locks of its own.
 * <ul>
 * <li>Its change lock: membership changes of one group take it for their whole
 *     check-write-apply sequence, their wait for room in the commit queue and their database
 *     write included, so that two admins adding members at once cannot both pass the size
 *     check. It is the only lock held across I/O or a wait, and it guards only the rare
 *     membership changes of that one group: sends, typing and {@code group_info} never take it.
 * <li>Its membership lock: a change swaps the {@link Group} and appends its events to the
 *     members' inboxes under the write lock, and a group send re-reads the members and appends
 *     its items under the read lock, so that in every inbox events and messages of the group
 *     come in the order of the membership they were made for. Both hold it only for memory
 *     work (partition locks taken briefly, room in the commit queue reserved before), so sends
 *     to one group run side by side and wait for a change only while its events are appended.
 * </ul>
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
        Entry e = entry(id);
        return e == null ? null : e.changes;
    }

    /**
     * The lock under which the group's membership is swapped, and its events and messages put in
     * inboxes, or null if there is none with this id. Re-read the group once it is held: it may
     * have changed, or gone, while the lock was awaited.
     */
    public ReentrantReadWriteLock membershipLock(String id) {
        Entry e = entry(id);
        return e == null ? null : e.membership;
    }

    /** The group's entry, or null; its locks may be read without the partition's lock, its group not. */
    private Entry entry(String id) {
        Part p = part(id);
        p.lock.lock();
        try {
            return p.groups.get(id);
        } finally {
            p.lock.unlock();
        }
    }

    /**
     * Adds a new group with its membership already write-locked by the caller, who unlocks it
     * once the members are told: nothing reaches them from the group before its creation does.
     */
    public ReentrantReadWriteLock.WriteLock addLocked(Group group) {
        Entry entry = new Entry(group);
        entry.membership.writeLock().lock();
        Part p = part(group.id());
        p.lock.lock();
        try {
            if (p.groups.putIfAbsent(group.id(), entry) != null) {
                entry.membership.writeLock().unlock();
                throw new IllegalStateException("a group " + group.id() + " exists already");
            }
        } finally {
            p.lock.unlock();
        }
        return entry.membership.writeLock();
    }

    /**
     * Adds a group, or replaces it with its new state (its locks stay the same). A running server
     * replaces a group only under its membership write lock.
     */
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

    /** Forgets a group whose last member left (under its membership write lock, as {@link #put}). */
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
        final ReentrantReadWriteLock membership = new ReentrantReadWriteLock();
        Group group;

        Entry(Group group) {
            this.group = group;
        }
    }
}
