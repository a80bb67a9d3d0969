package loomchat.chat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import loomchat.metrics.Metrics;
import loomchat.protocol.ClientFrame;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.Media;
import loomchat.protocol.ServerFrame;
import loomchat.store.ChatStore;
import loomchat.store.GroupTable;
import loomchat.testing.HeldCommitQueue;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A send that fails with a bug rather than a refusal is still answered, and so is its retry. The
 * router and the store are real; the media catalog throws what no catalog should.
 */
class UnexpectedSendFailureTest {

    @Test
    void aSendThatFailsUnexpectedlyIsAnsweredInternalAndSoIsItsRetry() throws Exception {
        // given a media catalog that fails with an unchecked exception
        MessageIds ids = new MessageIds(MessageIds.newSecret());
        ChatStore store = new ChatStore(4, new HeldCommitQueue(), 100, 1 << 20, 1, 100, 60_000, ids);
        store.addUser("alice", 0, 0);
        store.addUser("bob", 0, 0);
        Router router = new Router(store, ids, new Metrics(), (requestId, mediaId) -> {
            throw new IllegalStateException("the catalog broke");
        }, new GroupTable(4), 1000, 1000);
        ClientFrame.Send send = new ClientFrame.Send("c1", "bob", null, "look",
                new Media("AAAAAAAAAAAAAAAAAAAAAA", "image/png", 10));

        // when alice sends a message with media, then retries it
        ServerFrame.Reply first = router.send("alice", send).get(5, TimeUnit.SECONDS);
        CompletableFuture<ServerFrame.Reply> retry = router.send("alice", send);

        // then both are answered, internal, with the request's id
        assertEquals(new ServerFrame.Error("c1", ErrorCode.INTERNAL, ((ServerFrame.Error) first).message()), first);
        ServerFrame.Reply again = retry.get(5, TimeUnit.SECONDS);
        assertEquals(ErrorCode.INTERNAL, ((ServerFrame.Error) again).code(), again::toString);
        assertEquals("c1", ((ServerFrame.Error) again).id());
    }
}
