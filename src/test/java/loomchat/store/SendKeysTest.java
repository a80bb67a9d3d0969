package loomchat.store;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A sender's recent request ids: what a retry is answered with, and what is forgotten when. */
class SendKeysTest {
    private static final long DAY = 24 * 3600_000L;

    private static SentMessage pending(String msg, long ts) {
        return new SentMessage(msg, ts, new CompletableFuture<>());
    }

    @Test
    void aRetriedRequestIdGetsTheFirstSendsMessageIdAndTime() {
        // given a send recorded under request id "r1"
        SendKeys keys = new SendKeys();
        keys.put("r1", pending("m-1:alice:bob:mac", 1000), 1024, 1000, DAY);
        // when the same id comes again
        SentMessage known = keys.get("r1", 2000, DAY);
        // then it is answered with the first send's message id and time
        assertEquals("m-1:alice:bob:mac", known.msg());
        assertEquals(1000, known.ts());
        assertNull(keys.get("r2", 2000, DAY));
    }

    @Test
    void aRetryOfAnUnsettledSendWaitsForTheSameFuture() {
        // given a send that is not yet safe
        SendKeys keys = new SendKeys();
        SentMessage first = pending("m1", 1000);
        keys.put("r1", first, 1024, 1000, DAY);
        // then its retry waits on the first send's future
        assertSame(first.durable(), keys.get("r1", 1000, DAY).durable());
    }

    @Test
    void aRetryOfASettledSendIsAnsweredAtOnce() {
        // given a send that became safe and was settled
        SendKeys keys = new SendKeys();
        SentMessage first = pending("m1", 1000);
        keys.put("r1", first, 1024, 1000, DAY);
        keys.settle("r1", first);
        // then a retry's future is already complete, and the first's is no longer held
        assertTrue(keys.get("r1", 1000, DAY).durable().isDone());
        assertFalse(first.durable().isDone());
    }

    @Test
    void pastTheCountLimitTheOldestIdIsForgotten() {
        // given a limit of 3 and three sends
        SendKeys keys = new SendKeys();
        for (int i = 1; i <= 3; i++) keys.put("r" + i, pending("m" + i, i), 3, i, DAY);
        // when a fourth is sent
        keys.put("r4", pending("m4", 4), 3, 4, DAY);
        // then the first is forgotten and the rest are kept
        assertNull(keys.get("r1", 4, DAY));
        assertEquals("m2", keys.get("r2", 4, DAY).msg());
        assertEquals("m4", keys.get("r4", 4, DAY).msg());
        assertEquals(3, keys.size());
    }

    @Test
    void anIdOlderThanTheAgeLimitIsForgotten() {
        // given a send recorded at t=0
        SendKeys keys = new SendKeys();
        keys.put("r1", pending("m1", 0), 1024, 0, DAY);
        // then a day later it is still known, and a moment after that it is not
        assertNotNull(keys.get("r1", DAY, DAY));
        assertNull(keys.get("r1", DAY + 1, DAY));
    }

    @Test
    void aFailedSendIsForgottenSoThatItsRetryIsTriedAfresh() {
        // given a send recorded under "r1" that then failed
        SendKeys keys = new SendKeys();
        SentMessage failed = pending("m1", 1);
        keys.put("r1", failed, 1024, 1, DAY);
        keys.remove("r1", failed);
        // then the id is free, and the retry is recorded under it
        assertNull(keys.get("r1", 2, DAY));
        keys.put("r1", pending("m2", 2), 1024, 2, DAY);
        assertEquals("m2", keys.get("r1", 2, DAY).msg());
    }

    @Test
    void removeLeavesAnIdThatNowStandsForAnotherSend() {
        // given "r1" recorded for a second send after the first was forgotten
        SendKeys keys = new SendKeys();
        SentMessage first = pending("m1", 1);
        keys.put("r1", first, 1024, 1, DAY);
        keys.remove("r1", first);
        keys.put("r1", pending("m2", 2), 1024, 2, DAY);
        // when the first send's failure is reported again
        keys.remove("r1", first);
        // then the second send's record stands
        assertEquals("m2", keys.get("r1", 2, DAY).msg());
    }

    @Test
    void forgottenKeysGiveTheirBytesBackSoTheArenaStaysSmall() {
        // given a sender whose keys are mostly forgotten again (failed sends), 64 kept at most
        SendKeys keys = new SendKeys();
        for (int i = 0; i < 100_000; i++) {
            // when each send is recorded and then forgotten, one in ten kept
            SentMessage sent = pending("m-" + i, i);
            keys.put("request-" + i, sent, 64, i, DAY);
            if (i % 10 != 0) keys.remove("request-" + i, sent);
        }

        // then the arena holds about what 64 keys need, not what 100,000 sends wrote
        assertTrue(keys.arenaBytes() <= 8192, "arena of " + keys.arenaBytes() + " bytes");
        assertEquals("m-99990", keys.get("request-99990", 100_000, DAY).msg());
    }

    @Test
    void agreesWithAnInsertionOrderedMapOverManyRandomOperations() {
        // The ring and its index (linear probing, back-shifting deletes) against the plain structure
        // they replaced: a LinkedHashMap evicted from the front.
        Random random = new Random(42);
        int max = 50;
        SendKeys keys = new SendKeys();
        LinkedHashMap<String, SentMessage> model = new LinkedHashMap<>();
        for (long now = 1; now <= 20_000; now++) {
            // Ids of many lengths, some of them beyond Latin-1, so that the arena wraps and is compacted.
            int n = random.nextInt(200);
            String id = "r" + n + "-".repeat(n % 13 * 4) + (n % 3 == 0 ? "\u00e9\u2603\ud834\udd1e" : "");
            SentMessage known = keys.get(id, now, DAY);
            assertEquals(model.containsKey(id), known != null, "lookup of " + id + " at step " + now);
            if (known != null) {
                assertEquals(model.get(id).msg(), known.msg());
                if (random.nextInt(4) == 0) {
                    keys.remove(id, model.get(id));
                    model.remove(id);
                }
            } else {
                SentMessage sent = pending("m" + now + "x".repeat(random.nextInt(80)), now);
                keys.put(id, sent, max, now, DAY);
                model.put(id, sent);
                // A forgotten id's free slot counts against the limit until it is the oldest, so the
                // ring may keep fewer than the map would; but what it forgets is always the oldest.
                List<String> gone = new ArrayList<>();
                boolean keptOne = false;
                for (Map.Entry<String, SentMessage> e : model.entrySet()) {
                    boolean kept = keys.get(e.getKey(), now, DAY) != null;
                    assertTrue(kept || !keptOne, e.getKey() + " was forgotten before an older id at step " + now);
                    keptOne |= kept;
                    if (!kept) gone.add(e.getKey());
                }
                gone.forEach(model::remove);
                assertTrue(model.size() <= max);
                assertTrue(model.containsKey(id));
            }
        }
        assertEquals(model.size(), keys.size());
    }

    @Test
    void idsBuiltToCollideInStringHashCodeDoNotCollideInTheIndex() {
        // given 256 ids that all share one String.hashCode ("Aa" and "BB" hash alike anywhere)
        List<String> ids = new ArrayList<>(List.of(""));
        for (int round = 0; round < 8; round++) {
            List<String> longer = new ArrayList<>();
            for (String id : ids) {
                longer.add(id + "Aa");
                longer.add(id + "BB");
            }
            ids = longer;
        }
        assertEquals(1, ids.stream().map(String::hashCode).distinct().count());

        // then the send-id index spreads them
        long distinct = ids.stream().map(SendKeys::hash).distinct().count();
        assertTrue(distinct >= 250, distinct + " distinct hashes of 256");
    }
}
