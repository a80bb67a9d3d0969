package loomchat.chat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Message ids name their sender and target, and only this server's key makes them. */
class MessageIdsTest {
    final MessageIds ids = new MessageIds(MessageIds.newSecret());

    @Test
    void anIdSaysWhoSentItToWhom() {
        // given an id made for a message from alice to bob
        String id = ids.newId("alice", "bob", "r1", 1_000);
        // then it parses back to them
        assertEquals(new MessageIds.Parsed("alice", "bob", null), ids.parse(id));
    }

    @Test
    void anIdForAGroupNamesTheGroup() {
        String id = ids.newGroupId("alice", "g-7", "r1", 1_000);
        assertEquals(new MessageIds.Parsed("alice", null, "g-7"), ids.parse(id));
    }

    @Test
    void anIdForAUserNamedLikeAGroupNamesTheUser() {
        // given user names and group ids that look alike ("g-bob" is a legal user name)
        String toUser = ids.newId("alice", "g-bob", "r1", 1_000);
        String toGroup = ids.newGroupId("alice", "g-bob", "r2", 1_000);
        // then each says which it went to
        assertEquals(new MessageIds.Parsed("alice", "g-bob", null), ids.parse(toUser));
        assertEquals(new MessageIds.Parsed("alice", null, "g-bob"), ids.parse(toGroup));
    }

    @Test
    void anIdWithAnotherRecipientWrittenInIsRefused() {
        // given a genuine id from alice to bob
        String id = ids.newId("alice", "bob", "r1", 1_000);
        // when someone puts carol in bob's place
        String forged = id.replace(":bob:", ":carol:");
        // then the MAC no longer matches
        assertNull(ids.parse(forged));
    }

    @Test
    void anIdFromAnotherServersKeyIsRefused() {
        String foreign = new MessageIds(MessageIds.newSecret()).newId("alice", "bob", "r1", 1_000);
        assertNull(ids.parse(foreign));
    }

    @Test
    void idsOfManySendsMadeAtOnceOnManyThreadsAreAllDistinctAndGenuine() throws Exception {
        // given many virtual threads making the ids of distinct sends at the same time
        Set<String> made = ConcurrentHashMap.newKeySet();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 16; t++) {
                int thread = t;
                threads.submit(() -> {
                    for (int i = 0; i < 1_000; i++) made.add(ids.newId("alice", "bob", thread + "-" + i, 1_000));
                });
            }
        }
        // then none repeats, and every one checks out
        assertEquals(16_000, made.size());
        for (String id : made) assertEquals("alice", ids.parse(id).from());
    }

    @Test
    void oneSendAlwaysHasTheSameId() {
        // given alice's request r1 to bob at one time, its id made twice
        String first = ids.newId("alice", "bob", "r1", 1_000);
        String again = ids.newId("alice", "bob", "r1", 1_000);
        // then the ids are the same, and any other send has another
        assertEquals(first, again);
        assertNotEquals(first, ids.newId("alice", "bob", "r2", 1_000));
        assertNotEquals(first, ids.newId("alice", "bob", "r1", 1_001));
        assertNotEquals(first, ids.newId("alice", "carol", "r1", 1_000));
        assertNotEquals(first, ids.newId("dave", "bob", "r1", 1_000));
    }

    @Test
    void aSendKeyKeepsOnlyTheTargetAndRebuildsTheId() {
        // given ids for a user and for a group
        String toUser = ids.newId("alice", "bob", "r1", 1_000);
        String toGroup = ids.newGroupId("alice", "g-7", "r2", 2_000);
        // when they are shrunk for a send key
        String keptUser = ids.shrink(toUser);
        String keptGroup = ids.shrink(toGroup);
        // then only the target is kept, and the send rebuilds the id
        assertEquals("bob", keptUser);
        assertEquals("#g-7", keptGroup);
        assertEquals(toUser, ids.expand(keptUser, "alice", "r1", 1_000));
        assertEquals(toGroup, ids.expand(keptGroup, "alice", "r2", 2_000));
    }

    @Test
    void anIdWithARandomNonceIsKeptWhole() {
        // given an id made before nonces were derived (9 random bytes: 12 characters)
        String head = "AAAAAAAAAAAA:alice:bob";
        String old = head + ":" + "m".repeat(16);
        // then a send key keeps all of it, and gives it back as it was
        assertEquals(old, ids.shrink(old));
        assertEquals(old, ids.expand(old, "alice", "r1", 1_000));
    }

    @Test
    void anIdWhoseTargetHoldsAColonIsKeptWhole() {
        // given the id of a send to a group name that no group has (refused, but on record if it
        // was the retry of a send that failed)
        String id = ids.newGroupId("alice", "g-x:zz", "r1", 1_000);
        // then a send key keeps it whole, not a part of its target
        assertEquals(id, ids.shrink(id));
        assertEquals(id, ids.expand(ids.shrink(id), "alice", "r1", 1_000));
    }
}
