package loomchat.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * A sender's recent {@code send} request ids and their answers, so that a retried send returns
 * the first answer instead of delivering twice. Bounded by count and age; not thread-safe (used
 * under the partition lock).
 *
 * <p>Laid out for the garbage collector. Every send adds a key that outlives many young
 * collections, and each collection copies what survives. Held in a {@code LinkedHashMap} a key
 * was eight objects (entry, record, future, two strings and their arrays), and copying them set
 * the length of the server's young pauses under load (30-98 ms at 20,000 msgs/s). Then a key
 * became one string in a ring of slots (6-9 ms pauses, most of it those strings ageing in
 * survivor space). Now a key is no object at all: the request id and what the store keeps of the
 * message id (its target, see {@link MessageIdShrinker}) are UTF-8 bytes in one arena per sender,
 * filled in the ring's order, and every other field is a primitive array; a hash index of ints
 * finds a key. The send's future is held only until the send is settled ({@link #settle}), since
 * a settled send answers a retry at once.
 */
final class SendKeys {
    private static final CompletableFuture<Void> SETTLED = CompletableFuture.completedFuture(null);
    private static final int SEED = new java.security.SecureRandom().nextInt();
    private static final int FIRST_CAPACITY = 8;
    /** Arena bytes per slot to begin with: a request id of about 20 characters and a target of about 12. */
    private static final int FIRST_BYTES_PER_SLOT = 32;

    // The ring: slot (head + i) % capacity is the i-th oldest. A forgotten key leaves a free slot
    // (idBytes 0) whose bytes stay in the arena until it becomes the oldest and is reclaimed.
    private int[] at = new int[FIRST_CAPACITY];          // where the key's bytes start in the arena
    private int[] span = new int[FIRST_CAPACITY];        // arena bytes the key holds: its own, and any end it skipped
    private short[] idBytes = new short[FIRST_CAPACITY]; // request id's length in bytes, 0 for a free slot
    private short[] msgBytes = new short[FIRST_CAPACITY];// length in bytes of what is kept of the message id
    private int[] hashes = new int[FIRST_CAPACITY];      // the request id's hash
    private long[] ts = new long[FIRST_CAPACITY];        // when sent (ms), for the answer and the age limit
    @SuppressWarnings("unchecked")
    private CompletableFuture<Void>[] unsettled = new CompletableFuture[FIRST_CAPACITY];
    private int head;
    private int size; // slots in use, free ones among them

    // The keys' bytes, request id then what is kept of the message id, in the ring's order. A key
    // never wraps: one that does not fit before the end starts again at 0, and the end it skipped
    // counts in its span.
    private byte[] arena = new byte[FIRST_CAPACITY * FIRST_BYTES_PER_SLOT];
    private int arenaTail; // where the next key's bytes go
    private int arenaUsed; // bytes held by the ring's keys, skipped ends included

    // Open addressing with linear probing: slot + 1, or 0 for empty. At most half full.
    private int[] index = new int[2 * FIRST_CAPACITY];

    /** The answer on record for {@code requestId}, or null if none (or too old: then it is forgotten). */
    SentMessage get(String requestId, long now, long ttlMillis) {
        int slot = find(requestId);
        if (slot < 0) return null;
        if (now - ts[slot] > ttlMillis) {
            free(slot);
            return null;
        }
        CompletableFuture<Void> durable = unsettled[slot] != null ? unsettled[slot] : SETTLED;
        String msg = new String(arena, at[slot] + idBytes[slot], msgBytes[slot], StandardCharsets.UTF_8);
        return new SentMessage(msg, ts[slot], durable);
    }

    /** Records {@code sent} under a request id not on record, first making room: the oldest go past {@code max} or {@code ttlMillis}. */
    void put(String requestId, SentMessage sent, int max, long now, long ttlMillis) {
        byte[] id = requestId.getBytes(StandardCharsets.UTF_8);
        byte[] msg = sent.msg().getBytes(StandardCharsets.UTF_8);
        if (id.length == 0 || id.length > Short.MAX_VALUE || msg.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("request or message id of " + id.length + " and " + msg.length + " bytes");
        }
        while (size > 0 && (size >= max || idBytes[head] == 0 || now - ts[head] > ttlMillis)) {
            if (idBytes[head] != 0) free(head);
            arenaUsed -= span[head];
            head = (head + 1) % at.length;
            size--;
        }
        if (size == 0) arenaTail = arenaUsed = 0;
        if (size == at.length) grow(max);
        int bytes = id.length + msg.length;
        boolean wrap = arenaTail + bytes > arena.length;
        int skipped = wrap ? arena.length - arenaTail : 0;
        if (arenaUsed + skipped + bytes > arena.length) {
            compact(bytes);
            wrap = false;
            skipped = 0;
        }
        int start = wrap ? 0 : arenaTail;
        System.arraycopy(id, 0, arena, start, id.length);
        System.arraycopy(msg, 0, arena, start + id.length, msg.length);
        arenaTail = start + bytes;
        arenaUsed += skipped + bytes;

        int slot = (head + size) % at.length;
        at[slot] = start;
        span[slot] = skipped + bytes;
        idBytes[slot] = (short) id.length;
        msgBytes[slot] = (short) msg.length;
        hashes[slot] = hash(requestId);
        ts[slot] = sent.ts();
        unsettled[slot] = sent.durable().isDone() ? null : sent.durable();
        size++;
        addToIndex(slot);
    }

    /** The send's outcome is decided: its future need no longer be held (a retry gets a settled answer). */
    void settle(String requestId, SentMessage sent) {
        int slot = find(requestId);
        if (slot >= 0 && unsettled[slot] == sent.durable()) unsettled[slot] = null;
    }

    /** The send on record as {@code failed} is being tried again: {@code retry} is its outcome now. */
    void retry(String requestId, CompletableFuture<Void> failed, CompletableFuture<Void> retry) {
        int slot = find(requestId);
        if (slot >= 0 && unsettled[slot] == failed) unsettled[slot] = retry;
    }

    /** Forgets {@code requestId} if it still stands for {@code sent} (a refused send, to be tried afresh). */
    void remove(String requestId, SentMessage sent) {
        int slot = find(requestId);
        if (slot >= 0 && unsettled[slot] == sent.durable()) free(slot);
    }

    private int find(String requestId) {
        int hash = hash(requestId);
        byte[] id = null; // encoded only if a slot's hash matches
        for (int i = home(hash); index[i] != 0; i = next(i)) {
            int slot = index[i] - 1;
            if (hashes[slot] != hash) continue;
            if (id == null) id = requestId.getBytes(StandardCharsets.UTF_8);
            if (idBytes[slot] == id.length && Arrays.equals(arena, at[slot], at[slot] + id.length, id, 0, id.length)) {
                return slot;
            }
        }
        return -1;
    }

    /** Empties a slot and takes it out of the index, shifting later probes back over the gap; its bytes stay until it is the oldest. */
    private void free(int slot) {
        int gap = home(hashes[slot]);
        while (index[gap] != slot + 1) gap = next(gap);
        index[gap] = 0;
        for (int i = next(gap); index[i] != 0; i = next(i)) {
            int wants = home(hashes[index[i] - 1]);
            // Move the entry into the gap unless its home lies cyclically in (gap, i].
            boolean homeAfterGap = gap <= i ? (wants > gap && wants <= i) : (wants > gap || wants <= i);
            if (!homeAfterGap) {
                index[gap] = index[i];
                index[i] = 0;
                gap = i;
            }
        }
        idBytes[slot] = 0;
        unsettled[slot] = null;
    }

    /** Doubles the ring (up to {@code max} slots), oldest first from slot 0, and rebuilds the index. */
    @SuppressWarnings("unchecked")
    private void grow(int max) {
        int capacity = Math.max(size + 1, Math.min(max, 2 * at.length));
        int[] a = new int[capacity];
        int[] sp = new int[capacity];
        short[] ib = new short[capacity];
        short[] mb = new short[capacity];
        int[] h = new int[capacity];
        long[] t = new long[capacity];
        CompletableFuture<Void>[] u = new CompletableFuture[capacity];
        for (int i = 0; i < size; i++) {
            int from = (head + i) % at.length;
            a[i] = at[from];
            sp[i] = span[from];
            ib[i] = idBytes[from];
            mb[i] = msgBytes[from];
            h[i] = hashes[from];
            t[i] = ts[from];
            u[i] = unsettled[from];
        }
        at = a;
        span = sp;
        idBytes = ib;
        msgBytes = mb;
        hashes = h;
        ts = t;
        unsettled = u;
        head = 0;
        index = new int[Integer.highestOneBit(capacity * 4 - 1)];
        for (int slot = 0; slot < size; slot++) {
            if (idBytes[slot] != 0) addToIndex(slot);
        }
    }

    /**
     * Copies the live keys' bytes, oldest first, to the start of a new arena with room for
     * {@code more} bytes after them: as large as the old one if that leaves half of it free,
     * else twice as large. Free slots and skipped ends take no room after it.
     */
    private void compact(int more) {
        int live = 0;
        for (int i = 0; i < size; i++) {
            int slot = (head + i) % at.length;
            if (idBytes[slot] != 0) live += idBytes[slot] + msgBytes[slot];
        }
        int length = 2 * (live + more) <= arena.length ? arena.length : Math.max(2 * arena.length, live + more);
        byte[] fresh = new byte[length];
        int to = 0;
        for (int i = 0; i < size; i++) {
            int slot = (head + i) % at.length;
            int bytes = idBytes[slot] == 0 ? 0 : idBytes[slot] + msgBytes[slot];
            System.arraycopy(arena, at[slot], fresh, to, bytes);
            at[slot] = to;
            span[slot] = bytes;
            to += bytes;
        }
        arena = fresh;
        arenaTail = to;
        arenaUsed = to;
    }

    private void addToIndex(int slot) {
        int i = home(hashes[slot]);
        while (index[i] != 0) i = next(i);
        index[i] = slot + 1;
    }

    /**
     * The request id's hash, seeded per process. Not {@code String.hashCode}: ids are the
     * client's to choose, and ids built to collide there ("Aa" and "BB" in any position) would
     * make every lookup walk one long chain under the partition lock.
     */
    static int hash(String id) {
        int h = SEED;
        for (int i = 0; i < id.length(); i++) h = (h ^ id.charAt(i)) * 0x01000193; // FNV-1a's prime
        return h ^ (h >>> 16);
    }

    /** Fibonacci hashing: the product's top bits, which depend on every bit of the hash. */
    private int home(int hash) {
        return (hash * 0x9E3779B9) >>> Integer.numberOfLeadingZeros(index.length - 1);
    }

    private int next(int i) {
        return (i + 1) & (index.length - 1);
    }

    /** The arena's size in bytes, for tests. */
    int arenaBytes() {
        return arena.length;
    }

    /** Keys on record, for tests. */
    int size() {
        int n = 0;
        for (int i = 0; i < size; i++) if (idBytes[(head + i) % at.length] != 0) n++;
        return n;
    }
}
