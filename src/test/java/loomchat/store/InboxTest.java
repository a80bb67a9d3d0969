package loomchat.store;

import java.util.ArrayList;
import java.util.List;
import loomchat.protocol.ServerFrame;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What an inbox counts: the backlog a receipt may be sent ahead of, and what each sender holds. */
class InboxTest {

    @Test
    void receiptsWaitingToBePushedDoNotCountAsBacklog() {
        // given messages and receipts waiting, none pushed
        Inbox inbox = inboxWith(msg(1), receipt(2), msg(3), receipt(4));
        // then only the messages count
        assertEquals(2, inbox.unpushedNonReceipts());
    }

    @Test
    void pushingAndRewindingKeepTheBacklogCountRight() {
        Inbox inbox = inboxWith(msg(1), receipt(2), msg(3));
        inbox.durableSeq = 3;
        // when the writer takes the first two
        List<ServerFrame.InboxItem> pulled = new ArrayList<>();
        inbox.pull(2, pulled);
        // then one message is left to push
        assertEquals(1, inbox.unpushedNonReceipts());
        // and after a new login everything unacknowledged is backlog again
        inbox.rewind();
        assertEquals(2, inbox.unpushedNonReceipts());
        // and acknowledging what was pushed leaves the count alone
        inbox.pull(3, new ArrayList<>());
        inbox.ackUpTo(2);
        assertEquals(0, inbox.unpushedNonReceipts());
    }

    @Test
    void whatEachSenderHoldsIsCountedFromAllItemsAndFollowsAppendsAndAcks() {
        // given two messages from alice and one from carol, and a receipt
        Inbox inbox = inboxWith(msg(1), receipt(2), msg(3), new ServerFrame.Msg(4, "m4", "carol", "bob", null,
                "hello", null, 0));
        // then alice holds two messages of 2 characters each, carol one of 5
        assertEquals(List.of(2L, 4L), List.of(inbox.messagesFrom("alice"), inbox.bytesFrom("alice")));
        assertEquals(5L, inbox.bytesFrom("carol"));
        // and the counts follow a new message and an ack
        inbox.append(new InboxEntry(msg(5), false));
        inbox.ackUpTo(3);
        assertEquals(1L, inbox.messagesFrom("alice"));
        assertEquals(0L, inbox.messagesFrom("nobody"));
    }

    @Test
    void anItemWhoseWriteFailedLeavesItsSendersShareButStillCountsAgainstTheCaps() {
        // given two messages from alice, the first of whose write failed
        Inbox inbox = inboxWith(msg(1), msg(2));
        InboxEntry failed = inbox.get(0);
        failed.markFailed();
        // when it is counted out, twice (the committer may report it once per batch it was in)
        inbox.countOut(failed);
        inbox.countOut(failed);
        // then alice holds one message, while the inbox still holds two: the caps bound it
        assertEquals(1L, inbox.messagesFrom("alice"));
        assertEquals(List.of(2, 4L), List.of(inbox.messages(), inbox.bodyBytes()));
        // and acking past both leaves nothing counted, not less than nothing
        inbox.ackUpTo(2);
        assertEquals(List.of(0, 0L, 0L), List.of(inbox.messages(), inbox.bodyBytes(), inbox.messagesFrom("alice")));
    }

    @Test
    void groupEventsWeighTheNamesTheyListApartFromMessageBodies() {
        // given a message of 2 characters and an event naming two users
        Inbox inbox = inboxWith(msg(1), new ServerFrame.GroupEvent(2, "g-1", ServerFrame.GroupEventKind.ADDED,
                "alice", List.of("bob", "carol")));
        // then the body counts as message bytes, and the names (with their quotes and commas) apart
        assertEquals(2L, inbox.bodyBytes());
        assertEquals(3L + 3 + 5 + 3, inbox.noticeBytes());
        // and acking takes both away
        inbox.ackUpTo(2);
        assertEquals(List.of(0L, 0L), List.of(inbox.bodyBytes(), inbox.noticeBytes()));
    }

    private static Inbox inboxWith(ServerFrame.InboxItem... items) {
        Inbox inbox = new Inbox();
        for (ServerFrame.InboxItem item : items) inbox.append(new InboxEntry(item, false));
        return inbox;
    }

    private static ServerFrame.Msg msg(long seq) {
        return new ServerFrame.Msg(seq, "m" + seq, "alice", "bob", null, "hi", null, 0);
    }

    private static ServerFrame.Receipt receipt(long seq) {
        return new ServerFrame.Receipt(seq, "m0", ServerFrame.ReceiptStatus.DELIVERED, "bob", 0);
    }
}
