package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import loomchat.client.ChatClient;
import loomchat.protocol.ServerFrame;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Work that must stay fair under load: replies ahead of backlogs, reconnect storms absorbed. */
class OverloadTest {
    // One sender makes each backlog, so it may fill the whole inbox (not the usual eighth).
    private static final Map<String, Object> UNLIMITED_SENDS = Map.of("send_rate", 1_000_000, "send_burst", 1_000_000,
            "inbox_senders_to_fill", 1);

    // Both tests below keep bob from reading while the server decides the order: a client that reads
    // lets its kernel grow the receive buffer (up to 32 MiB here), and what is already in that buffer
    // is ahead of anything, whatever the server does. The 500-byte bodies keep the backlog larger than
    // what the buffers hold while nobody reads.

    @Test
    void replyIsWrittenAheadOfATenThousandItemBacklog() throws Exception {
        try (TestServer server = TestServer.start(UNLIMITED_SENDS)) {
            // given bob has 10,000 messages waiting
            int backlog = 10_000;
            sendBacklog(server, "bob", backlog);
            try (Wire bob = server.connect()) {
                // when bob logs in and asks for something in the same breath
                bob.send("{'type':'login','id':'l','user':'bob','password':'" + Wire.PASSWORD + "'}");
                bob.send("{'type':'ping','id':'urgent'}");
                // then the pong comes long before the backlog is through
                assertEquals(backlog, bob.reply("l").path("pending").asInt());
                Arrival pong = firstMatching(bob, f -> f.path("id").asText("").equals("urgent"));
                assertTrue(pong.itemsBefore() < backlog / 2, "pong came after " + pong.itemsBefore() + " of " + backlog + " items");
            }
        }
    }

    @Test
    void receiptIsWrittenAheadOfATenThousandItemBacklog() throws Exception {
        try (TestServer server = TestServer.start(UNLIMITED_SENDS)) {
            // given bob has 10,000 messages waiting
            int backlog = 10_000;
            sendBacklog(server, "bob", backlog);
            try (Wire bob = server.connect(); Wire carol = server.userOnline("carol")) {
                bob.send("{'type':'login','id':'l','user':'bob','password':'" + Wire.PASSWORD + "'}");
                // when bob, his backlog still coming, writes to carol and she acks the message
                bob.send("{'type':'send','id':'s','to':'carol','body':'hi'}");
                JsonNode hi = carol.next("msg");
                carol.ack(hi.path("seq").asLong());
                carol.request("{'type':'ping','id':'p'}", "p"); // her ack has been handled
                // then the delivered receipt comes long before the backlog is through, as a copy without seq
                Arrival receipt = firstMatching(bob, f -> f.path("type").asText().equals("receipt"));
                assertTrue(receipt.itemsBefore() < backlog / 2,
                        "receipt came after " + receipt.itemsBefore() + " of " + backlog + " items");
                JsonNode early = receipt.frame();
                assertEquals("{\"type\":\"receipt\",\"msg\":\"" + hi.path("msg").asText()
                        + "\",\"status\":\"delivered\",\"by\":\"carol\",\"ts\":" + early.path("ts").asLong() + "}",
                        early.toString());
                // and the receipt itself still follows in seq order, after the backlog
                JsonNode item = bob.nextMatching(f -> f.path("type").asText().equals("receipt"), "the receipt item");
                assertEquals(backlog + 1, item.path("seq").asLong());
                assertEquals(hi.path("msg").asText(), item.path("msg").asText());
            }
        }
    }

    /** A frame, and how many inbox items (frames with a seq) came before it. */
    private record Arrival(JsonNode frame, int itemsBefore) {
    }

    private static Arrival firstMatching(Wire wire, java.util.function.Predicate<JsonNode> wanted) throws Exception {
        int items = 0;
        while (true) {
            JsonNode f = wire.next();
            if (wanted.test(f)) return new Arrival(f, items);
            if (f.has("seq")) items++;
        }
    }

    /**
     * Registers {@code to} and a fresh user, alice, who sends {@code n} messages of 500 bytes to
     * {@code to}; waits for every ok.
     */
    private static void sendBacklog(TestServer server, String to, int n) throws Exception {
        server.register(to);
        String body = "x".repeat(500);
        try (ChatClient alice = ChatClient.connect("127.0.0.1", server.port())) {
            alice.register("alice", Wire.PASSWORD);
            alice.login("alice", Wire.PASSWORD);
            List<CompletableFuture<ServerFrame.SendOk>> oks = new ArrayList<>();
            for (int i = 0; i < n; i++) oks.add(alice.send(to, body));
            CompletableFuture.allOf(oks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aThousandClientsReconnectingAtOnceByTokenAllGetBackWithoutErrors() throws Exception {
        int n = 1000;
        try (TestServer server = TestServer.start(Map.of("password_iterations", 1))) {
            List<String> tokens = new ArrayList<>();
            List<ChatClient> clients = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ChatClient c = ChatClient.connect("127.0.0.1", server.port());
                c.register("u" + i, Wire.PASSWORD);
                tokens.add(c.login("u" + i, Wire.PASSWORD).token());
                clients.add(c);
            }
            try (Wire bystander = server.userOnline("bystander")) {
                // when every client drops at once
                for (ChatClient c : clients) c.close();
                // and all log back in by token at the same moment
                long started = System.nanoTime();
                List<Future<ServerFrame.LoginOk>> logins = new ArrayList<>();
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < n; i++) {
                        int u = i;
                        logins.add(pool.submit(() -> {
                            ChatClient c = ChatClient.connect("127.0.0.1", server.port());
                            clients.set(u, c);
                            return c.loginWithToken("u" + u, tokens.get(u));
                        }));
                    }
                    // then someone unrelated is still served promptly
                    long t0 = System.nanoTime();
                    assertEquals("pong", bystander.request("{'type':'ping','id':'p'}", "p").path("type").asText());
                    long pingMillis = (System.nanoTime() - t0) / 1_000_000;
                    for (Future<ServerFrame.LoginOk> f : logins) assertEquals(0, f.get(60, TimeUnit.SECONDS).pending());
                    System.out.printf("reconnect of %d clients: %d ms; bystander ping %d ms%n",
                            n, (System.nanoTime() - started) / 1_000_000, pingMillis);
                }
            } finally {
                for (ChatClient c : clients) c.close();
            }
        }
    }

    @Test
    void gracefulShutdownUnderLoadLosesNothingAcknowledged() throws Exception {
        try (TestServer server = TestServer.start(UNLIMITED_SENDS)) {
            try (Wire bob = server.connect()) {
                bob.register("bob");
            }
            List<String> acknowledged = java.util.Collections.synchronizedList(new ArrayList<>());
            ChatClient alice = ChatClient.connect("127.0.0.1", server.port());
            alice.register("alice", Wire.PASSWORD);
            alice.login("alice", Wire.PASSWORD);
            Thread sender = Thread.ofVirtual().start(() -> {
                for (int i = 0; ; i++) {
                    try {
                        acknowledged.add(alice.send("bob", "m" + i).get(10, TimeUnit.SECONDS).msg());
                    } catch (Exception closed) {
                        return; // the server went away mid-send: that one was never acknowledged
                    }
                }
            });
            // when the server is shut down while alice is sending
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (acknowledged.size() < 200 && System.nanoTime() < deadline) Thread.sleep(10);
            server.restart();
            sender.join(10_000);
            alice.close();
            // then every acknowledged message is waiting for bob, in order
            try (Wire bob = server.connect()) {
                bob.login("bob");
                List<String> snapshot = List.copyOf(acknowledged);
                for (String msg : snapshot) assertEquals(msg, bob.next("msg").path("msg").asText());
                assertTrue(snapshot.size() >= 200, "sent " + snapshot.size());
            }
        }
    }
}
