package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import loomchat.testing.ServerTest;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 1:1 store-and-forward: a message waits in the recipient's inbox until acknowledged. */
class StoreAndForwardTest extends ServerTest {
    @Test
    void messageToOfflineUserIsPushedAtLogin() throws Exception {
        // given bob is registered but offline
        try (Wire bob = server.connect()) {
            bob.register("bob");
        }
        try (Wire alice = server.userOnline("alice")) {
            // when alice sends to him
            JsonNode ok = alice.request("{'type':'send','id':'c1','to':'bob','body':'hi bob'}", "c1");
            assertEquals("ok", ok.path("type").asText());
            String msg = ok.path("msg").asText();

            // then bob gets it when he logs in, counted as pending
            try (Wire bob = server.connect()) {
                JsonNode login = bob.login("bob");
                assertEquals(1, login.path("pending").asInt());
                JsonNode item = bob.next("msg");
                assertEquals(msg, item.path("msg").asText());
                assertEquals("alice", item.path("from").asText());
                assertEquals("bob", item.path("to").asText());
                assertEquals("hi bob", item.path("body").asText());
                assertEquals(1, item.path("seq").asLong());
                assertEquals(ok.path("ts").asLong(), item.path("ts").asLong());
            }
        }
    }

    @Test
    void ackingAMessageSendsTheSenderADeliveredReceipt() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            String msg = alice.request("{'type':'send','id':'c1','to':'bob','body':'hi'}", "c1").path("msg").asText();
            JsonNode item = bob.next("msg");

            bob.send("{'type':'ack','seq':" + item.path("seq").asLong() + "}");

            JsonNode receipt = alice.next("receipt");
            assertEquals(msg, receipt.path("msg").asText());
            assertEquals("delivered", receipt.path("status").asText());
            assertEquals("bob", receipt.path("by").asText());
            assertTrue(receipt.path("seq").asLong() > 0);
        }
    }

    @Test
    void itemsArePushedLiveToAnOnlineRecipient() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            JsonNode ok = alice.sendMessage("c1", "bob", "are you there?");

            JsonNode item = bob.next("msg");
            assertEquals(ok.path("msg").asText(), item.path("msg").asText());
            assertEquals("are you there?", item.path("body").asText());
            assertEquals("alice", item.path("from").asText());
        }
    }

    @Test
    void waitingItemsArePushedOldestFirstAndCountedAsPending() throws Exception {
        server.register("bob");
        List<String> sent = new ArrayList<>();
        try (Wire alice = server.userOnline("alice")) {
            for (int i = 1; i <= 3; i++) sent.add(alice.sendMessage("c" + i, "bob", "number " + i).path("msg").asText());
        }
        try (Wire bob = server.connect()) {
            assertEquals(3, bob.login("bob").path("pending").asInt());

            List<JsonNode> items = bob.next("msg", 3);
            assertEquals(sent, items.stream().map(i -> i.path("msg").asText()).toList());
            assertEquals(List.of("number 1", "number 2", "number 3"), items.stream().map(i -> i.path("body").asText()).toList());
            assertTrue(items.get(0).path("seq").asLong() < items.get(1).path("seq").asLong());
            assertTrue(items.get(1).path("seq").asLong() < items.get(2).path("seq").asLong());
        }
    }

    @Test
    void loginReplyComesBeforeAnyPushedItem() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            alice.sendMessage("c1", "bob", "waiting");
        }
        try (Wire bob = server.connect()) {
            bob.send("{'type':'login','id':'l','user':'bob','password':'" + Wire.PASSWORD + "'}");

            assertEquals("ok", bob.next().path("type").asText());
            assertEquals("msg", bob.next().path("type").asText());
        }
    }

    @Test
    void acknowledgedItemsAreNotDeliveredAgain() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            alice.sendMessage("c1", "bob", "one");
            alice.sendMessage("c2", "bob", "two");
            try (Wire bob = server.connect()) {
                bob.login("bob");
                List<JsonNode> items = bob.next("msg", 2);
                bob.ack(items.get(1).path("seq").asLong());
                bob.request("{'type':'ping','id':'sync'}", "sync"); // the ack was handled before this pong
            }

            try (Wire bob = server.connect()) {
                assertEquals(0, bob.login("bob").path("pending").asInt());
                alice.sendMessage("c3", "bob", "three");
                assertEquals("three", bob.next("msg").path("body").asText(), "the first item pushed is the new one");
            }
        }
    }

    @Test
    void unacknowledgedItemsAreDeliveredAgainAfterTheNextLogin() throws Exception {
        server.register("bob");
        List<JsonNode> firstTime;
        try (Wire alice = server.userOnline("alice")) {
            alice.sendMessage("c1", "bob", "one");
            alice.sendMessage("c2", "bob", "two");
        }
        try (Wire bob = server.connect()) {
            bob.login("bob");
            firstTime = bob.next("msg", 2);
            // no ack: bob's phone dies
        }
        try (Wire bob = server.connect()) {
            assertEquals(2, bob.login("bob").path("pending").asInt());

            List<JsonNode> again = bob.next("msg", 2);
            assertEquals(firstTime, again, "same items, same msg ids and seqs");
        }
    }

    @Test
    void partialAckKeepsTheRest() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            for (int i = 1; i <= 3; i++) alice.sendMessage("c" + i, "bob", "number " + i);
        }
        try (Wire bob = server.connect()) {
            bob.login("bob");
            List<JsonNode> items = bob.next("msg", 3);
            bob.ack(items.get(0).path("seq").asLong());
            bob.request("{'type':'ping','id':'sync'}", "sync");
        }
        try (Wire bob = server.connect()) {
            assertEquals(2, bob.login("bob").path("pending").asInt());
            assertEquals("number 2", bob.next("msg").path("body").asText());
        }
    }

    @Test
    void ackBeyondWhatWasPushedDropsNothingUnseen() throws Exception {
        // given a slow commit, so that an item sits in bob's inbox, not yet pushable, for a while
        server.close();
        server = TestServer.start(Map.of("group_commit_delay", "500ms"));
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            alice.send("{'type':'send','id':'c1','to':'bob','body':'not yet seen'}");
            alice.request("{'type':'ping','id':'sync'}", "sync"); // the send is in bob's inbox now

            // when bob acks far ahead of anything he was sent
            bob.ack(1_000);
            assertEquals("pong", bob.request("{'type':'ping','id':'sync'}", "sync").path("type").asText());

            // then the item still reaches him, and stays his until he acks it
            JsonNode item = bob.next("msg");
            assertEquals("not yet seen", item.path("body").asText());
        }
        try (Wire bob = server.connect()) {
            assertEquals(1, bob.login("bob").path("pending").asInt());
            assertEquals("not yet seen", bob.next("msg").path("body").asText());
        }
    }

    @Test
    void seqKeepsIncreasingAcrossReconnects() throws Exception {
        server.register("bob");
        long last;
        try (Wire alice = server.userOnline("alice")) {
            alice.sendMessage("c1", "bob", "one");
            alice.sendMessage("c2", "bob", "two");
            try (Wire bob = server.connect()) {
                bob.login("bob");
                last = bob.next("msg", 2).get(1).path("seq").asLong();
                bob.ack(last);
                bob.request("{'type':'ping','id':'sync'}", "sync");
            }
            alice.sendMessage("c3", "bob", "three");
        }
        try (Wire bob = server.connect()) {
            bob.login("bob");
            JsonNode item = bob.next("msg");
            assertEquals("three", item.path("body").asText());
            assertTrue(item.path("seq").asLong() > last, item + " after seq " + last);
        }
    }

    @Test
    void sendingToAnUnknownUserGetsNoSuchUser() throws Exception {
        try (Wire alice = server.userOnline("alice")) {
            JsonNode r = alice.request("{'type':'send','id':'c1','to':'nobody','body':'hello?'}", "c1");

            assertEquals("error", r.path("type").asText());
            assertEquals("no_such_user", r.path("code").asText());
            assertEquals("c1", r.path("id").asText());
        }
    }

    @Test
    void messagesFromOneSenderArriveInTheOrderOfTheirOks() throws Exception {
        int n = 200;
        // batches long enough to hold items bob acked and items he has not acked yet
        server.close();
        server = TestServer.start(Map.of("group_commit_delay", "20ms"));
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            // bob reads and acks as items come, so some are acked before they are written and some after
            CompletableFuture<List<String>> received = CompletableFuture.supplyAsync(() -> {
                List<String> ids = new ArrayList<>();
                try {
                    long lastSeq = 0;
                    while (ids.size() < n) {
                        JsonNode item = bob.next("msg");
                        assertTrue(item.path("seq").asLong() > lastSeq, "seqs increase");
                        lastSeq = item.path("seq").asLong();
                        ids.add(item.path("msg").asText());
                        bob.ack(lastSeq);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return ids;
            });

            // when alice sends without waiting for each ok
            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < n; i++) {
                burst.append("{'type':'send','id':'c").append(i).append("','to':'bob','body':'m").append(i).append("'}\n");
            }
            alice.sendRaw(burst.toString().replace('\'', '"').getBytes(java.nio.charset.StandardCharsets.UTF_8));
            List<String> okOrder = new ArrayList<>();
            while (okOrder.size() < n) {
                JsonNode ok = alice.next("ok");
                okOrder.add(ok.path("msg").asText());
            }

            // then bob got them in the order of the oks
            List<String> arrival = received.get(20, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(n, arrival.size());
            for (int i = 0; i < n; i++) {
                int at = i;
                assertEquals(okOrder.get(i), arrival.get(i), () -> "ok #" + at + " is not the message received #" + at
                        + "; it was received as #" + arrival.indexOf(okOrder.get(at)));
            }
        }
    }
}
