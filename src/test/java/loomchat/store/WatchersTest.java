package loomchat.store;

import java.util.ArrayList;
import java.util.List;
import loomchat.protocol.EncodedFrame;
import loomchat.protocol.ServerFrame;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How a user's watchers are told: replies are never dropped, notices may be. */
class WatchersTest {

    @Test
    void theReplyToASubscribeIsQueuedEvenWhenNoticesAreDropped() {
        // given a connection whose queue is half full: it refuses every notice
        FullOfNotices connection = new FullOfNotices();
        Watchers watchers = new Watchers();

        // when it subscribes
        watchers.add(connection, new ServerFrame.Ok("s1"), () -> new ServerFrame.Presence("bob", true, null));

        // then the ok still reaches it, and only the presence notice is dropped
        assertEquals(List.of(new ServerFrame.Ok("s1")), connection.queued);
        assertEquals(List.of(new ServerFrame.Presence("bob", true, null)), connection.dropped);
    }

    /** A live connection as the store sees it, with its outbound queue past half full. */
    private static final class FullOfNotices implements Endpoint {
        final List<ServerFrame> queued = new ArrayList<>();
        final List<ServerFrame> dropped = new ArrayList<>();

        @Override
        public void wake() {
        }

        @Override
        public void reply(ServerFrame frame) {
            queued.add(frame);
        }

        @Override
        public boolean offer(ServerFrame frame) {
            dropped.add(frame);
            return false;
        }

        @Override
        public boolean offer(EncodedFrame notice) {
            return offer(notice.frame());
        }

        @Override
        public void replaced() {
        }
    }
}
