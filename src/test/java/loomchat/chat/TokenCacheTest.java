package loomchat.chat;

import loomchat.db.Accounts;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The token cache: it never brings back a token that a logout revoked while it was being looked
 * up, and a full cache makes room.
 */
class TokenCacheTest {
    private static final byte[] HASH = {1, 2, 3};
    private static final Accounts.TokenOwner ALICE = new Accounts.TokenOwner("alice", Long.MAX_VALUE);

    @Test
    void aTokenReadFromTheDatabaseIsRemembered() {
        TokenCache cache = new TokenCache(10);
        long before = cache.revocations();

        cache.put(HASH, ALICE, 0, before);

        assertEquals(ALICE, cache.get(HASH));
    }

    @Test
    void aTokenReadBeforeALogoutRevokedItIsNotRemembered() {
        // given a login that read alice's token row from the database
        TokenCache cache = new TokenCache(10);
        long before = cache.revocations();
        // when her logout deletes the row and forgets the token before the login caches it
        cache.remove(HASH);
        cache.put(HASH, ALICE, 0, before);

        // then the token is not in the cache: its next use asks the database, which no longer has it
        assertNull(cache.get(HASH));
    }

    @Test
    void aFullCacheOfLiveTokensMakesRoomForNewOnes() {
        // given a cache full of tokens that expire in a long time
        int capacity = 1000;
        TokenCache cache = new TokenCache(capacity);
        for (int i = 0; i < capacity; i++) cache.put(hash(i), ALICE, 0, cache.revocations());

        // when a new token is read from the database
        cache.put(HASH, ALICE, 0, cache.revocations());

        // then it is remembered: a slice of the old ones was forgotten for it
        assertEquals(ALICE, cache.get(HASH));
    }

    private static byte[] hash(int i) {
        return new byte[] {9, (byte) (i >> 8), (byte) i};
    }
}
