package loomchat.protocol;

import com.fasterxml.jackson.core.util.BufferRecycler;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The codec's pool of Jackson buffers: reuse without locks, and never more than its slots. */
class BufferPoolTest {

    @Test
    void aReturnedRecyclerIsLentAgain() {
        // given a recycler that went back to the pool
        BufferPool pool = new BufferPool(8);
        BufferRecycler first = pool.acquireAndLinkPooled();
        first.releaseToPool();
        // when the same thread asks again
        BufferRecycler second = pool.acquireAndLinkPooled();
        // then it gets the same one, buffers and all
        assertSame(first, second);
    }

    @Test
    void recyclersInUseAreNeverLentTwice() {
        // given two recyclers taken and not returned
        BufferPool pool = new BufferPool(8);
        BufferRecycler a = pool.acquireAndLinkPooled();
        BufferRecycler b = pool.acquireAndLinkPooled();
        // then they are different objects
        assertNotSame(a, b);
        assertEquals(0, pool.pooledCount());
    }

    @Test
    void thePoolKeepsNoMoreThanItsSlots() {
        // given more recyclers out at once than the pool has slots
        BufferPool pool = new BufferPool(4);
        List<BufferRecycler> out = new ArrayList<>();
        for (int i = 0; i < 10; i++) out.add(pool.acquireAndLinkPooled());
        // when they all come back
        out.forEach(BufferRecycler::releaseToPool);
        // then four are kept and the rest are left to the collector
        assertEquals(4, pool.pooledCount());
    }

    @Test
    void concurrentBorrowersNeverShareARecycler() throws Exception {
        // given many virtual threads borrowing and returning at once
        BufferPool pool = new BufferPool(8);
        Set<BufferRecycler> inUse = ConcurrentHashMap.newKeySet();
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger lentTwice = new AtomicInteger();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 32; t++) {
                threads.submit(() -> {
                    start.await();
                    for (int i = 0; i < 2_000; i++) {
                        BufferRecycler r = pool.acquireAndLinkPooled();
                        // then no one else holds it while this thread does
                        if (!inUse.add(r)) lentTwice.incrementAndGet();
                        inUse.remove(r);
                        r.releaseToPool();
                    }
                    return null;
                });
            }
            start.countDown();
            threads.shutdown();
            assertTrue(threads.awaitTermination(30, TimeUnit.SECONDS));
        }
        assertEquals(0, lentTwice.get());
        assertTrue(pool.pooledCount() <= 8);
    }
}
