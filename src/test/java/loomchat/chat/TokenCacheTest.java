package loomchat.chat;

import loomchat.db.Accounts;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The token cache never brings back a token that a logout revoked while it was being looked up. */
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
}
