package loomchat.chat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Message ids name their sender and target, and only this server's key makes them. */
class MessageIdsTest {
    final MessageIds ids = new MessageIds(MessageIds.newSecret());

    @Test
    void anIdSaysWhoSentItToWhom() {
        // given an id made for a message from alice to bob
        String id = ids.newId("alice", "bob");
        // then it parses back to them
        assertEquals(new MessageIds.Parsed("alice", "bob", null), ids.parse(id));
    }

    @Test
    void anIdForAGroupNamesTheGroup() {
        String id = ids.newGroupId("alice", "g-7");
        assertEquals(new MessageIds.Parsed("alice", null, "g-7"), ids.parse(id));
    }

    @Test
    void anIdForAUserNamedLikeAGroupNamesTheUser() {
        // given user names and group ids that look alike ("g-bob" is a legal user name)
        String toUser = ids.newId("alice", "g-bob");
        String toGroup = ids.newGroupId("alice", "g-bob");
        // then each says which it went to
        assertEquals(new MessageIds.Parsed("alice", "g-bob", null), ids.parse(toUser));
        assertEquals(new MessageIds.Parsed("alice", null, "g-bob"), ids.parse(toGroup));
    }

    @Test
    void anIdWithAnotherRecipientWrittenInIsRefused() {
        // given a genuine id from alice to bob
        String id = ids.newId("alice", "bob");
        // when someone puts carol in bob's place
        String forged = id.replace(":bob:", ":carol:");
        // then the MAC no longer matches
        assertNull(ids.parse(forged));
    }

    @Test
    void anIdFromAnotherServersKeyIsRefused() {
        String foreign = new MessageIds(MessageIds.newSecret()).newId("alice", "bob");
        assertNull(ids.parse(foreign));
    }

    @Test
    void idsMadeAtOnceOnManyThreadsAreAllDistinctAndGenuine() throws Exception {
        // given many virtual threads making ids at the same time
        Set<String> made = ConcurrentHashMap.newKeySet();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 16; t++) {
                threads.submit(() -> {
                    for (int i = 0; i < 1_000; i++) made.add(ids.newId("alice", "bob"));
                });
            }
        }
        // then none repeats, and every one checks out
        assertEquals(16_000, made.size());
        for (String id : made) assertEquals("alice", ids.parse(id).from());
    }
}
