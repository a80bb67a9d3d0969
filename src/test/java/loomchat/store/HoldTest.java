package loomchat.store;

import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;
import loomchat.testing.HeldCommitQueue;
import loomchat.testing.QuietEndpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which items wait for their recipient's ack before they are written (held) and which are
 * written promptly; one user's items are written in the order they were appended.
 */
class HoldTest {
    private final HeldCommitQueue queue = new HeldCommitQueue();
    private final ChatStore store = new ChatStore(4, queue, 100, 1 << 20, 1, 100, 60_000, MessageIdShrinker.NONE);

    @BeforeEach
    void users() {
        store.addUser("alice", 0, 0);
        store.addUser("bob", 0, 0);
    }

    @Test
    void anItemForAnOfflineUserIsWrittenPromptly() throws ProtocolException {
        ChatStore.Appended sent = appendFromAlice();
        assertFalse(queue.writeOf(sent).entry().held());
    }

    @Test
    void anItemForAnOnlineUserIsHeldForItsAck() throws ProtocolException {
        store.attach("bob", new QuietEndpoint());
        ChatStore.Appended sent = appendFromAlice();
        assertTrue(queue.writeOf(sent).entry().held());
    }

    @Test
    void anItemBehindOneStillWaitingForItsPromptWriteIsWrittenPromptlyToo() throws ProtocolException {
        // given an item for bob while he was offline, not yet written
        ChatStore.Appended first = appendFromAlice();
        // when bob comes online and gets another
        store.attach("bob", new QuietEndpoint());
        ChatStore.Appended second = appendFromAlice();
        // then the second waits as the first does, not for his ack: the committer takes held items
        // first, and a held second could reach disk before the first
        assertFalse(queue.writeOf(second).entry().held());
        // and once both are written, the next is held again
        for (ChatStore.Appended written : new ChatStore.Appended[] {first, second}) {
            queue.writeOf(written).entry().claimForWrite();
            queue.writeOf(written).entry().markWritten();
        }
        assertTrue(queue.writeOf(appendFromAlice()).entry().held());
    }

    private ChatStore.Appended appendFromAlice() throws ProtocolException {
        return store.append("bob", seq -> new ServerFrame.Msg(seq, "m" + seq, "alice", "bob", null, "hi", null, 1L),
                null, ChatStore.Admission.SEND);
    }
}
