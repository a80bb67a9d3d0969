package loomchat.chat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import loomchat.config.ConfigLoader;
import loomchat.db.Database;
import loomchat.db.GroupRecords;
import loomchat.media.MediaCatalog;
import loomchat.metrics.Metrics;
import loomchat.protocol.ClientFrame;
import loomchat.protocol.ServerFrame;
import loomchat.protocol.ServerFrame.GroupEvent;
import loomchat.protocol.ServerFrame.InboxItem;
import loomchat.protocol.ServerFrame.Msg;
import loomchat.store.ChatStore;
import loomchat.store.Commit;
import loomchat.store.CommitQueue;
import loomchat.store.Endpoint;
import loomchat.store.GroupTable;
import loomchat.testing.QuietEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A membership change and a group message racing for room in the commit queue: in every
 * member's inbox the two agree. A member gets a group message only after the event that let them
 * in and before the one that took them out.
 *
 * <p>The race is forced on the real {@link Groups}, {@link Router} and {@link ChatStore} over a
 * commit queue whose waits for room each wait for the test to open them, in the order it likes.
 */
class GroupOrderTest {
    private GatedQueue queue;
    private ChatStore store;
    private Database db;
    private Groups groups;
    private Router router;

    @BeforeEach
    void start() throws Exception {
        queue = new GatedQueue();
        MessageIds ids = new MessageIds(MessageIds.newSecret());
        store = new ChatStore(8, queue, 1000, 1 << 20, 8, 100, 60_000, ids);
        for (String user : List.of("alice", "bob", "carol", "dave", "mallory")) store.addUser(user, 0, 0);
        db = new Database(ConfigLoader.of(Map.of("data_dir", Files.createTempDirectory("loomchat-order").toString())));
        GroupTable table = new GroupTable(8);
        groups = new Groups(table, store, new GroupRecords(db), 16, 16, 1000, 1000);
        router = new Router(store, ids, new Metrics(), MediaCatalog.NONE, table,
                1000, 1000);
    }

    @AfterEach
    void stop() {
        db.close();
    }

    @Test
    void aMemberAddedWhileAMessageIsSentGetsTheAddedEventBeforeAnyMessage() throws Exception {
        // given alice's group of alice and bob
        String group = create("alice", "bob");
        // and her {"type":"group_add","users":["dave"]} waiting for room for its events
        CompletableFuture<ServerFrame.Reply> add = async(() -> groups.add("alice",
                new ClientFrame.GroupAdd("a", group, List.of("dave"))));
        Gate addRoom = queue.nextWait();

        // when bob's {"type":"send","group":..,"body":"hi all"} finds room at once
        CompletableFuture<ServerFrame.Reply> send = async(() -> router.send("bob", groupSend("s", group, "hi all")));
        queue.nextWait().open();
        assertEquals("ok", type(send.get(10, TimeUnit.SECONDS)));
        // and then the add finds room too
        addRoom.open();
        assertEquals("ok", type(add.get(10, TimeUnit.SECONDS)));

        // then dave's inbox begins with his "added" event: he was not in the group for that message
        List<InboxItem> inbox = inbox("dave");
        assertEquals("added", describe(inbox.get(0)), "dave's inbox: " + inbox);
        assertEquals(List.of("added"), describe(inbox));
    }

    @Test
    void aMemberRemovedWhileAMessageWaitsForRoomGetsNoMessageAfterTheRemovedEvent() throws Exception {
        // given alice's group of alice, bob and mallory
        String group = create("alice", "bob", "mallory");
        // and bob's {"type":"send","group":..,"body":"hi all"} waiting for room, mallory still a member
        CompletableFuture<ServerFrame.Reply> send = async(() -> router.send("bob", groupSend("s", group, "hi all")));
        Gate sendRoom = queue.nextWait();

        // when alice's {"type":"group_remove","users":["mallory"]} finds room at once
        CompletableFuture<ServerFrame.Reply> remove = async(() -> groups.remove("alice",
                new ClientFrame.GroupRemove("r", group, List.of("mallory"))));
        queue.nextWait().open();
        assertEquals("ok", type(remove.get(10, TimeUnit.SECONDS)));
        // and then bob's message finds room
        sendRoom.open();
        assertEquals("ok", type(send.get(10, TimeUnit.SECONDS)));

        // then mallory's inbox ends with her "removed" event, and alice, still in, got the message
        assertEquals(List.of("created", "removed"), describe(inbox("mallory")));
        assertEquals(List.of("created", "removed", "msg hi all"), describe(inbox("alice")));
    }

    @Test
    void aMemberAddedWhileAMessageWaitsForRoomGetsItAfterTheAddedEvent() throws Exception {
        // given alice's group of alice and bob, and bob's message to it waiting for room
        String group = create("alice", "bob");
        CompletableFuture<ServerFrame.Reply> send = async(() -> router.send("bob", groupSend("s", group, "hi all")));
        Gate sendRoom = queue.nextWait();

        // when alice adds dave meanwhile
        CompletableFuture<ServerFrame.Reply> add = async(() -> groups.add("alice",
                new ClientFrame.GroupAdd("a", group, List.of("dave"))));
        queue.nextWait().open();
        assertEquals("ok", type(add.get(10, TimeUnit.SECONDS)));
        // and then bob's message finds room
        sendRoom.open();
        assertEquals("ok", type(send.get(10, TimeUnit.SECONDS)));

        // then the message goes to the group as it is by then, dave included, after his event
        assertEquals(List.of("added", "msg hi all"), describe(inbox("dave")));
    }

    /** Creates a group of alice (its admin) and {@code others}, with room for its events at once. */
    private String create(String... others) throws Exception {
        CompletableFuture<ServerFrame.Reply> created = async(() -> groups.create("alice",
                new ClientFrame.GroupCreate("c", "climbing", List.of(others))));
        queue.nextWait().open();
        return ((ServerFrame.GroupCreated) created.get(10, TimeUnit.SECONDS)).group();
    }

    private static ClientFrame.Send groupSend(String id, String group, String body) {
        return new ClientFrame.Send(id, null, group, body, null);
    }

    /** Runs a request on a thread of its own, as a connection runs a request that may wait for room. */
    private static CompletableFuture<ServerFrame.Reply> async(Request request) {
        CompletableFuture<ServerFrame.Reply> reply = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                request.run().whenComplete((r, e) -> {
                    if (e != null) reply.completeExceptionally(e);
                    else reply.complete(r);
                });
            } catch (Exception e) {
                reply.completeExceptionally(e);
            }
        });
        return reply;
    }

    @FunctionalInterface
    private interface Request {
        CompletableFuture<ServerFrame.Reply> run() throws Exception;
    }

    /** Everything in the user's inbox, oldest first, as a session logging in now would be sent it. */
    private List<InboxItem> inbox(String user) {
        queue.settleSeqs(store);
        Endpoint session = new QuietEndpoint();
        store.attach(user, session);
        List<InboxItem> out = new ArrayList<>();
        store.pull(user, session, 1000, out);
        return out;
    }

    private static List<String> describe(List<InboxItem> items) {
        return items.stream().map(GroupOrderTest::describe).toList();
    }

    private static String describe(InboxItem item) {
        if (item instanceof GroupEvent e) return e.event().wire();
        if (item instanceof Msg m) return "msg " + m.body();
        return item.toString();
    }

    private static String type(ServerFrame.Reply reply) {
        return reply instanceof ServerFrame.Error e ? "error " + e.code() + ": " + e.message() : "ok";
    }

    /** A wait for room that the test opens. */
    private static final class Gate {
        private final CountDownLatch opened = new CountDownLatch(1);

        void open() {
            opened.countDown();
        }
    }

    /**
     * A commit queue with room for everything, whose every write is at once durable. A
     * reservation that may wait waits until the test opens it ({@link #nextWait} hands them out
     * in the order they began); one that may not wait finds room.
     */
    private static final class GatedQueue implements CommitQueue {
        private final BlockingQueue<Gate> waits = new LinkedBlockingQueue<>();
        private final ConcurrentLinkedQueue<Commit.ReserveSeq> seqs = new ConcurrentLinkedQueue<>();

        /** The next reservation to wait for room, once it waits. */
        Gate nextWait() throws InterruptedException {
            Gate gate = waits.poll(10, TimeUnit.SECONDS);
            if (gate == null) throw new AssertionError("nothing waited for room");
            return gate;
        }

        /** Tells the store its seq reservations are written, as the committer would. */
        void settleSeqs(ChatStore store) {
            for (Commit.ReserveSeq r; (r = seqs.poll()) != null; ) store.reserved(r.user(), r.upTo());
        }

        @Override
        public boolean offer(int partition, Commit op) {
            settle(op);
            return true;
        }

        @Override
        public boolean reserve(int[] partitions, long timeoutNanos) throws InterruptedException {
            if (timeoutNanos <= 0) return true;
            Gate gate = new Gate();
            waits.add(gate);
            return gate.opened.await(timeoutNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void offerReserved(int partition, Commit op) {
            settle(op);
        }

        @Override
        public void release(int partition) {
        }

        private void settle(Commit op) {
            switch (op) {
                case Commit.WriteItem w -> w.done().complete(null);
                case Commit.SaveSendKey k -> k.done().complete(null);
                case Commit.ReserveSeq r -> seqs.add(r);
                default -> {
                }
            }
        }
    }
}
