package loomchat.store;

import java.util.ArrayList;
import java.util.List;
import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;
import loomchat.testing.HeldCommitQueue;
import loomchat.testing.QuietEndpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an ack tells the senders of the items it drops: safe, if the item reached the recipient.
 * The store is real; the commit queue only holds what it is given, so that the test plays the
 * committer, and decides when a write fails.
 */
class AckTest {
    private final HeldCommitQueue queue = new HeldCommitQueue();
    private final ChatStore store = new ChatStore(4, queue, 100, 1 << 20, 1, 100, 60_000, MessageIdShrinker.NONE);
    private final Endpoint bob = new QuietEndpoint();

    @BeforeEach
    void bobIsOnline() {
        store.addUser("alice", 0, 0);
        store.addUser("bob", 0, 0);
        store.attach("bob", bob);
    }

    @Test
    void anAckOfAPushedItemTellsItsSenderItIsSafe() throws ProtocolException {
        // given alice's message pushed to bob, not yet written
        ChatStore.Appended sent = appendFromAlice("hi");
        List<ServerFrame.InboxItem> pushed = pull();
        assertEquals(List.of(sent.item()), pushed);

        // when bob acks it
        store.ack("bob", bob, seq(sent));

        // then alice's send is safe without a write
        assertTrue(sent.durable().isDone());
        assertFalse(sent.durable().isCompletedExceptionally());
    }

    @Test
    void anAckPastAnItemWhoseWriteFailedDoesNotTellItsSenderItIsSafe() throws ProtocolException {
        // given alice's message whose write the committer has just found failed (it marks the
        // item failed first, then tells the sender), so the writer skips it
        ChatStore.Appended sent = appendFromAlice("hi");
        queue.writeOf(sent).entry().markFailed();
        assertTrue(pull().isEmpty());

        // when bob acks past it, in between
        store.ack("bob", bob, seq(sent));

        // then alice's send is not made safe: the message reached nobody, and the committer's
        // error is what she must get
        assertFalse(sent.durable().isDone());
    }

    private ChatStore.Appended appendFromAlice(String body) throws ProtocolException {
        ChatStore.Appended sent = store.append("bob",
                seq -> new ServerFrame.Msg(seq, "m" + seq, "alice", "bob", null, body, null, 1L),
                null, ChatStore.Admission.SEND);
        store.reserved("bob", seq(sent)); // its seq is durably reserved: it may be pushed
        return sent;
    }

    private List<ServerFrame.InboxItem> pull() {
        List<ServerFrame.InboxItem> out = new ArrayList<>();
        store.pull("bob", bob, 10, out);
        return out;
    }

    private static long seq(ChatStore.Appended sent) {
        return ((ServerFrame.Msg) sent.item()).seq();
    }
}
