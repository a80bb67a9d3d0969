package loomchat.store;

import java.util.concurrent.CompletableFuture;

/**
 * A sender's recent {@code send} request ids and their answers, so that a retried send returns
 * the first answer instead of delivering twice. Bounded by count and age; not thread-safe (used
 * under the partition lock).
 *
 * <p>Laid out for the garbage collector. Every send adds a key that outlives many young
 * collections, and each collection copies what survives. Held in a {@code LinkedHashMap} a key
 * was eight objects (entry, record, future, two strings and their arrays), and copying them set
 * the length of the server's young pauses under load (30-98 ms at 20,000 msgs/s). Here a
 * key is one string, the request id and the message id joined, in a ring of slots whose other
 * fields are primitive arrays; a hash index of ints finds it. The send's future is held only
 * until the send is settled ({@link #settle}), since a settled send answers a retry at once.
 */
final class SendKeys {
    private static final CompletableFuture<Void> SETTLED = CompletableFuture.completedFuture(null);
    private static final int FIRST_CAPACITY = 8;

    // The ring: slot (head + i) % capacity is the i-th oldest. A forgotten key leaves a free slot
    // (joined == null) that is reclaimed when it becomes the oldest.
    private String[] joined = new String[FIRST_CAPACITY]; // request id, then message id
    private byte[] idChars = new byte[FIRST_CAPACITY];    // length of the request id (1..64)
    private int[] hashes = new int[FIRST_CAPACITY];       // the request id's hash
    private long[] ts = new long[FIRST_CAPACITY];         // when sent (ms), for the answer and the age limit
    @SuppressWarnings("unchecked")
    private CompletableFuture<Void>[] unsettled = new CompletableFuture[FIRST_CAPACITY];
    private int head;
    private int size; // slots in use, free ones among them

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
        return new SentMessage(joined[slot].substring(idChars[slot]), ts[slot], durable);
    }

    /** Records {@code sent} under a request id not on record, first making room: the oldest go past {@code max} or {@code ttlMillis}. */
    void put(String requestId, SentMessage sent, int max, long now, long ttlMillis) {
        if (requestId.length() > Byte.MAX_VALUE) throw new IllegalArgumentException("request id too long");
        while (size > 0 && (size >= max || joined[head] == null || now - ts[head] > ttlMillis)) {
            if (joined[head] != null) free(head);
            head = (head + 1) % joined.length;
            size--;
        }
        if (size == joined.length) grow(max);
        int slot = (head + size) % joined.length;
        joined[slot] = requestId.concat(sent.msg());
        idChars[slot] = (byte) requestId.length();
        hashes[slot] = requestId.hashCode();
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

    /** Forgets {@code requestId} if it still stands for {@code sent} (a failed send, to be tried afresh). */
    void remove(String requestId, SentMessage sent) {
        int slot = find(requestId);
        if (slot >= 0 && unsettled[slot] == sent.durable()) free(slot);
    }

    private int find(String requestId) {
        int hash = requestId.hashCode();
        for (int i = home(hash); index[i] != 0; i = next(i)) {
            int slot = index[i] - 1;
            if (hashes[slot] == hash && idChars[slot] == requestId.length()
                    && joined[slot].startsWith(requestId)) {
                return slot;
            }
        }
        return -1;
    }

    /** Empties a slot and takes it out of the index, shifting later probes back over the gap. */
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
        joined[slot] = null;
        unsettled[slot] = null;
    }

    /** Doubles the ring (up to {@code max} slots), oldest first from slot 0, and rebuilds the index. */
    @SuppressWarnings("unchecked")
    private void grow(int max) {
        int capacity = Math.max(size + 1, Math.min(max, 2 * joined.length));
        String[] j = new String[capacity];
        byte[] c = new byte[capacity];
        int[] h = new int[capacity];
        long[] t = new long[capacity];
        CompletableFuture<Void>[] u = new CompletableFuture[capacity];
        for (int i = 0; i < size; i++) {
            int from = (head + i) % joined.length;
            j[i] = joined[from];
            c[i] = idChars[from];
            h[i] = hashes[from];
            t[i] = ts[from];
            u[i] = unsettled[from];
        }
        joined = j;
        idChars = c;
        hashes = h;
        ts = t;
        unsettled = u;
        head = 0;
        index = new int[Integer.highestOneBit(capacity * 4 - 1)];
        for (int slot = 0; slot < size; slot++) {
            if (joined[slot] != null) addToIndex(slot);
        }
    }

    private void addToIndex(int slot) {
        int i = home(hashes[slot]);
        while (index[i] != 0) i = next(i);
        index[i] = slot + 1;
    }

    /** Fibonacci hashing: the product's top bits, which depend on every bit of the hash. */
    private int home(int hash) {
        return (hash * 0x9E3779B9) >>> Integer.numberOfLeadingZeros(index.length - 1);
    }

    private int next(int i) {
        return (i + 1) & (index.length - 1);
    }

    /** Keys on record, for tests. */
    int size() {
        int n = 0;
        for (String s : joined) if (s != null) n++;
        return n;
    }
}
