package loomchat.protocol;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.RecyclerPool;
import java.io.Serial;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Lends Jackson's buffer recyclers (a parser's or generator's few KiB of buffers) to whichever
 * virtual thread is encoding or decoding, from a handful of slots, without locking or
 * allocating.
 *
 * <p>Why not one of Jackson's pools: the per-thread pool is a {@code ThreadLocal}, which with a
 * virtual thread per connection would mean buffers per connection; the deque pool allocates a
 * list node on every release, several times a message (docs/performance.md, item 43); the
 * bounded pool puts every connection behind one lock.
 *
 * <p>Only code running on a carrier uses a recycler (encoding and decoding never block), so at
 * most about one recycler per carrier is out at once and a few slots keep them all. Each thread
 * starts looking at a slot chosen from its id, so two carriers rarely touch the same slot. When
 * every slot is empty a new recycler is made; when every slot is full a returned one is left to
 * the collector.
 */
final class BufferPool implements RecyclerPool<BufferRecycler> {
    @Serial
    private static final long serialVersionUID = 1L;

    private final int size;
    private final transient AtomicReferenceArray<BufferRecycler> slots;

    BufferPool(int size) {
        this.size = size;
        this.slots = new AtomicReferenceArray<>(size);
    }

    @Override
    public BufferRecycler acquirePooled() {
        int start = start();
        for (int i = 0; i < size; i++) {
            int slot = (start + i) % size;
            // Read before writing: an empty slot then costs no exclusive cache line.
            if (slots.getPlain(slot) != null) {
                BufferRecycler r = slots.getAndSet(slot, null);
                if (r != null) return r;
            }
        }
        return new BufferRecycler();
    }

    @Override
    public void releasePooled(BufferRecycler recycler) {
        int start = start();
        for (int i = 0; i < size; i++) {
            int slot = (start + i) % size;
            if (slots.getPlain(slot) == null && slots.compareAndSet(slot, null, recycler)) return;
        }
    }

    @Override
    public int pooledCount() {
        int n = 0;
        for (int i = 0; i < size; i++) if (slots.get(i) != null) n++;
        return n;
    }

    @Override
    public boolean clear() {
        for (int i = 0; i < size; i++) slots.set(i, null);
        return true;
    }

    private int start() {
        return (int) Math.floorMod(Thread.currentThread().threadId(), (long) size);
    }

    @Serial
    private Object readResolve() {
        return new BufferPool(size); // the slots are not serialised; a copy starts empty
    }
}
