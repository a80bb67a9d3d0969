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

    @Test
    void replyIsWrittenAheadOfATenThousandItemBacklog() throws Exception {
        try (TestServer server = TestServer.start(Map.of("send_rate", 1_000_000, "send_burst", 1_000_000))) {
            int backlog = 10_000;
            try (Wire bob = server.connect()) {
                bob.register("bob");
            }
            try (ChatClient alice = ChatClient.connect("127.0.0.1", server.port())) {
                alice.register("alice", Wire.PASSWORD);
                alice.login("alice", Wire.PASSWORD);
                List<CompletableFuture<ServerFrame.SendOk>> oks = new ArrayList<>();
                for (int i = 0; i < backlog; i++) oks.add(alice.send("bob", "backlog " + i));
                CompletableFuture.allOf(oks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            }
            // when bob logs in and at once asks for something
            try (Wire bob = server.connect()) {
                bob.send("{'type':'login','id':'l','user':'bob','password':'" + Wire.PASSWORD + "'}");
                assertEquals(backlog, bob.reply("l").path("pending").asInt());
                bob.send("{'type':'ping','id':'urgent'}");
                // then the pong comes long before the backlog is through
                int itemsBefore = 0;
                while (true) {
                    JsonNode f = bob.next();
                    if (f.path("id").asText("").equals("urgent")) break;
                    itemsBefore++;
                }
                assertTrue(itemsBefore < backlog / 2, "pong came after " + itemsBefore + " of " + backlog + " items");
            }
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
        try (TestServer server = TestServer.start(Map.of("send_rate", 1_000_000, "send_burst", 1_000_000))) {
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
