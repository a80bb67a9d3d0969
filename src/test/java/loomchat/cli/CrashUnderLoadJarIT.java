package loomchat.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import loomchat.client.ChatClient;
import loomchat.protocol.ServerFrame;
import loomchat.testing.Await;
import loomchat.testing.ServerJar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kill -9} of the jar in the middle of steady load: senders pipeline messages to
 * recipients that are online (and ack as they read) and to recipients that are offline, the
 * process is killed, and started again on the same data directory. Whatever got an {@code ok}
 * must reach its recipient, once per session, in the order of the {@code ok}s.
 *
 * <p>An online recipient may have received (and acked) part of it before the crash; what it got
 * then counts as delivered. Messages in flight at the crash, without an {@code ok}, may or may
 * not arrive: the contract promises nothing about them.
 */
class CrashUnderLoadJarIT {
    private static final int SENDERS = 8;
    private static final List<String> ONLINE = List.of("on0", "on1", "on2", "on3");
    private static final List<String> OFFLINE = List.of("off0", "off1", "off2", "off3");
    /** Sends in flight per sender: enough to keep the server's group commit busy. */
    private static final int WINDOW = 16;
    private static final String PASSWORD = "crash test password";
    private static final Duration STEADY_LOAD = Duration.ofMillis(1500);
    private static final long MIN_OKS_BEFORE_KILL = 1000;

    @TempDir
    Path dataDir;
    @TempDir
    Path workDir;

    /** The {@code ok}ed msg ids of one sender→recipient pair, in the order of their oks. */
    private final Map<String, Queue<String>> acknowledged = new ConcurrentHashMap<>();
    /** What each online recipient was pushed before the crash, in order. */
    private final Map<String, Queue<ServerFrame.Msg>> receivedBeforeCrash = new ConcurrentHashMap<>();
    private final AtomicLong oks = new AtomicLong();

    @Test
    void everyAcknowledgedMessageSurvivesKillMinus9OnceAndInOrder() throws Exception {
        try (ServerJar jar = new ServerJar(workDir)) {
            // given a server, senders, recipients online and acking, and recipients offline;
            // the rate limit is lifted so that the senders' pipelines stay full until the kill
            String[] unlimited = {"--set", "send_rate=1000000", "--set", "send_burst=1000000"};
            ServerJar.Server first = jar.serve(dataDir, unlimited);
            List<String> senders = new ArrayList<>();
            for (int i = 0; i < SENDERS; i++) senders.add("sender" + i);
            List<String> recipients = new ArrayList<>(ONLINE);
            recipients.addAll(OFFLINE);
            for (String user : concat(senders, recipients)) register(first.port(), user);
            List<ChatClient> clients = new ArrayList<>();
            for (String r : ONLINE) clients.add(onlineRecipient(first.port(), r));
            List<Thread> sending = new ArrayList<>();
            for (String s : senders) {
                ChatClient c = loggedIn(first.port(), s);
                clients.add(c);
                sending.add(Thread.ofVirtual().name("send " + s).start(() -> sendUntilClosed(c, s, recipients)));
            }

            // when the load is steady, the server process is killed (SIGKILL: no shutdown hook runs)
            long start = System.nanoTime();
            Await.until(() -> oks.get() >= MIN_OKS_BEFORE_KILL
                    && System.nanoTime() - start >= STEADY_LOAD.toNanos(), Duration.ofSeconds(20), "steady load");
            first.process().destroyForcibly();
            assertTrue(first.process().waitFor(10, TimeUnit.SECONDS));
            for (Thread t : sending) assertTrue(t.join(Duration.ofSeconds(10)), "senders stop when the server is gone");
            clients.forEach(ChatClient::close);

            // and started again on the same data directory
            ServerJar.Server second = jar.serve(dataDir, unlimited);

            // then every recipient gets every acknowledged message: once in its new session, and
            // first delivered (before or after the crash) in the order of the oks
            for (String r : recipients) {
                List<ServerFrame.Msg> after = everythingPending(second.port(), r);
                assertEachOnce(r, after);
                List<ServerFrame.Msg> seen = new ArrayList<>(receivedBeforeCrash.getOrDefault(r, new ConcurrentLinkedQueue<>()));
                seen.addAll(after);
                for (String s : senders) {
                    List<String> oked = List.copyOf(acknowledged.getOrDefault(pair(s, r), new ConcurrentLinkedQueue<>()));
                    Set<String> okedSet = new HashSet<>(oked);
                    LinkedHashSet<String> firstDeliveries = new LinkedHashSet<>();
                    for (ServerFrame.Msg m : seen) if (m.from().equals(s) && okedSet.contains(m.msg())) firstDeliveries.add(m.msg());
                    assertEquals(oked, List.copyOf(firstDeliveries), s + " → " + r + ": acknowledged, in ok order");
                }
            }
            assertTrue(oks.get() >= MIN_OKS_BEFORE_KILL, "load was running: " + oks.get() + " oks");
        }
    }

    // ------------------------------------------------------------------ load

    /** Sends to the recipients in turn, {@link #WINDOW} at a time, until the connection dies. */
    private void sendUntilClosed(ChatClient client, String sender, List<String> recipients) {
        Semaphore window = new Semaphore(WINDOW);
        for (long n = 0; client.isOpen(); n++) {
            try {
                if (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) continue;
            } catch (InterruptedException e) {
                return;
            }
            String to = recipients.get((int) (n % recipients.size()));
            Queue<String> oked = acknowledged.computeIfAbsent(pair(sender, to), k -> new ConcurrentLinkedQueue<>());
            // Callbacks of one client run one after another in the order of the replies (on its
            // reader thread, or here if the ok came first), so the queue is in ok order.
            client.send(to, sender + " #" + n).whenComplete((ok, failure) -> {
                if (ok != null) {
                    oked.add(ok.msg());
                    oks.incrementAndGet();
                }
                window.release();
            });
        }
    }

    private ChatClient onlineRecipient(int port, String user) throws Exception {
        Queue<ServerFrame.Msg> received = receivedBeforeCrash.computeIfAbsent(user, k -> new ConcurrentLinkedQueue<>());
        ChatClient c = ChatClient.connect("127.0.0.1", port).onItem(item -> {
            if (item instanceof ServerFrame.Msg m) received.add(m);
        });
        c.login(user, PASSWORD); // autoAck: what it received is acked, so the server may forget it
        return c;
    }

    // --------------------------------------------------------------- helpers

    /** Logs {@code user} in and reads until it has every item the login reply counted as pending. */
    private static List<ServerFrame.Msg> everythingPending(int port, String user) throws Exception {
        Queue<ServerFrame.Msg> received = new ConcurrentLinkedQueue<>();
        try (ChatClient c = ChatClient.connect("127.0.0.1", port)) {
            c.onItem(item -> {
                if (item instanceof ServerFrame.Msg m) received.add(m);
            });
            long pending = c.login(user, PASSWORD).pending();
            Await.until(() -> received.size() >= pending, Duration.ofSeconds(20), pending + " items for " + user);
        }
        return List.copyOf(received);
    }

    private static void assertEachOnce(String user, List<ServerFrame.Msg> session) {
        Set<String> ids = new HashSet<>();
        for (ServerFrame.Msg m : session) assertTrue(ids.add(m.msg()), user + " was pushed " + m.msg() + " twice");
    }

    private static void register(int port, String user) throws Exception {
        try (ChatClient c = ChatClient.connect("127.0.0.1", port)) {
            c.register(user, PASSWORD);
        }
    }

    private static ChatClient loggedIn(int port, String user) throws Exception {
        ChatClient c = ChatClient.connect("127.0.0.1", port);
        c.login(user, PASSWORD);
        return c;
    }

    private static String pair(String sender, String recipient) {
        return sender + ">" + recipient;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
