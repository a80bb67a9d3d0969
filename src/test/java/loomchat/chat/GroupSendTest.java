package loomchat.chat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import loomchat.testing.Await;
import loomchat.testing.ServerTest;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static loomchat.chat.GroupsTest.create;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Messages to a group: fan-out, receipts per member, read checks, idempotency. */
class GroupSendTest extends ServerTest {
    @Test
    void groupMessageReachesEveryMemberButTheSender() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire carol = server.userOnline("carol");
             Wire alice = server.userOnline("alice")) {
            String group = create(alice, "climbing", "bob", "carol");

            JsonNode ok = alice.request("{'type':'send','id':'s1','group':'" + group + "','body':'rope?'}", "s1");

            assertEquals("ok", ok.path("type").asText(), ok::toString);
            for (Wire w : List.of(bob, carol)) {
                JsonNode msg = w.next("msg");
                assertEquals(ok.path("msg").asText(), msg.path("msg").asText());
                assertEquals("alice", msg.path("from").asText());
                assertEquals(group, msg.path("group").asText());
                assertEquals("rope?", msg.path("body").asText());
                assertEquals(ok.path("ts").asLong(), msg.path("ts").asLong());
            }
            // the sender gets no copy: past her own group event, the next thing she sees is her pong
            alice.send("{'type':'ping','id':'p'}");
            assertEquals("pong", alice.nextMatching(f -> !f.path("type").asText().equals("group"), "not a group event")
                    .path("type").asText(), "no msg for the sender");
        }
    }

    @Test
    void aGroupSendCutOffByACleanShutdownIsNotASecondMessageWhenRetriedAfterTheRestart() throws Exception {
        // given a long commit delay, and bob, a member, offline
        try (TestServer slow = TestServer.start(Map.of("group_commit_delay", "1s"))) {
            slow.register("bob");
            String group;
            try (Wire alice = slow.userOnline("alice")) {
                group = create(alice, "climbing", "bob");
                // when alice sends to the group and the server shuts down before her ok
                alice.send("{'type':'send','id':'s1','group':'" + group + "','body':'rope?'}");
                Await.until(() -> slow.server().metrics().messagesSent.sum() == 1, "the send to be taken");
                slow.server().close();
            }
            slow.restart();
            // and she retries after the restart
            JsonNode ok;
            try (Wire alice = slow.connect()) {
                alice.login("alice");
                ok = alice.request("{'type':'send','id':'s1','group':'" + group + "','body':'rope?'}", "s1");
            }

            // then bob has the message once, under the msg her retry was answered with
            try (Wire bob = slow.connect()) {
                bob.login("bob");
                JsonNode msg = bob.next("msg");
                assertEquals(ok.path("msg").asText(), msg.path("msg").asText());
                bob.expectSilence(java.time.Duration.ofMillis(300));
            }
        }
    }

    @Test
    void aGroupSendIsChargedForTheBodyItFansOut() throws Exception {
        // given alice may send 11 tokens' worth in a burst (one more a second), and has a group of
        // nine others, whose making took one
        try (TestServer limited = TestServer.start(Map.of("send_rate", 1, "send_burst", 11, "max_group_size", 16));
             Wire alice = limited.userOnline("alice")) {
            String group = groupOfNine(limited, alice);
            String body = "x".repeat(60_000); // 540,000 characters fanned out: 9 tokens a send

            // when she sends it to the group twice
            JsonNode first = alice.request(groupSend("g0", group, body), "g0");
            assertEquals("ok", first.path("type").asText(), first::toString);
            JsonNode second = alice.request(groupSend("g1", group, body), "g1");

            // then the second is refused for the rate (it would take 8 s to earn), while a line
            // to one person still goes
            assertEquals("rate_limited", second.path("code").asText(), second::toString);
            assertEquals("ok", alice.sendMessage("s1", "m1", "short").path("type").asText());
        }
    }

    @Test
    void aGroupSendIsChargedForTheMembersItReachesEvenIfTheyWereAddedJustBefore() throws Exception {
        // given alice may send 12 tokens' worth in a burst, and her group has one other member
        // (its making took one, and the add below takes one)
        try (TestServer limited = TestServer.start(Map.of("send_rate", 1, "send_burst", 12, "max_group_size", 16));
             Wire alice = limited.userOnline("alice")) {
            limited.register("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");
            String group = create(alice, "climbing", "m1");
            String body = "x".repeat(60_000);

            // when she sends, without waiting, an add of eight more and two large messages
            alice.send("{'type':'group_add','id':'a','group':'" + group + "','users':['m2','m3','m4','m5','m6','m7','m8','m9']}");
            alice.send(groupSend("g0", group, body));
            alice.send(groupSend("g1", group, body));

            // then each message is charged for the nine it reaches (9 tokens), not for the one
            // member there was when it was read, so the second is refused
            Map<String, JsonNode> replies = alice.replies("a", "g0", "g1");
            assertEquals("ok", replies.get("a").path("type").asText());
            assertEquals("ok", replies.get("g0").path("type").asText());
            assertEquals("rate_limited", replies.get("g1").path("code").asText());
        }
    }

    @Test
    void aRetryOfAnAcceptedGroupSendIsNotChargedAgain() throws Exception {
        // given alice may send 20 tokens' worth in a burst, and her 9-token group send was accepted
        try (TestServer limited = TestServer.start(Map.of("send_rate", 1, "send_burst", 20, "max_group_size", 16));
             Wire alice = limited.userOnline("alice")) {
            String group = groupOfNine(limited, alice);
            String body = "x".repeat(60_000);
            JsonNode first = alice.request(groupSend("g0", group, body), "g0");

            // when she sends it again with the same id (her ok was lost, say)
            JsonNode retry = alice.request(groupSend("g0", group, body), "g0");

            // then she gets the first answer, and her 11 tokens left still send a new one
            assertEquals(first.path("msg").asText(), retry.path("msg").asText(), retry::toString);
            JsonNode next = alice.request(groupSend("g1", group, body), "g1");
            assertEquals("ok", next.path("type").asText(), next::toString);
        }
    }

    /** A group of {@code admin} and nine others, m1 to m9, made on {@code server}. */
    private static String groupOfNine(TestServer server, Wire admin) throws Exception {
        String[] others = {"m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"};
        server.register(others);
        return create(admin, "climbing", others);
    }

    private static String groupSend(String id, String group, String body) {
        return "{'type':'send','id':'" + id + "','group':'" + group + "','body':'" + body + "'}";
    }

    @Test
    void eachMembersAckGivesTheSenderADeliveredReceipt() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire carol = server.userOnline("carol");
             Wire alice = server.userOnline("alice")) {
            String group = create(alice, "climbing", "bob", "carol");
            String msg = alice.request("{'type':'send','id':'s1','group':'" + group + "','body':'hi'}", "s1")
                    .path("msg").asText();

            bob.ack(bob.next("msg").path("seq").asLong());
            carol.ack(carol.next("msg").path("seq").asLong());

            List<JsonNode> receipts = alice.next("receipt", 2);
            assertEquals(List.of("bob", "carol"),
                    receipts.stream().map(r -> r.path("by").asText()).sorted().toList());
            for (JsonNode r : receipts) {
                assertEquals(msg, r.path("msg").asText());
                assertEquals("delivered", r.path("status").asText());
            }
        }
    }

    @Test
    void aMemberMayMarkAGroupMessageRead() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            String group = create(alice, "climbing", "bob");
            String msg = alice.request("{'type':'send','id':'s1','group':'" + group + "','body':'hi'}", "s1")
                    .path("msg").asText();
            bob.next("msg");

            bob.send("{'type':'read','msg':'" + msg + "'}");

            JsonNode receipt = alice.nextMatching(f -> "read".equals(f.path("status").asText()), "a read receipt");
            assertEquals(msg, receipt.path("msg").asText());
            assertEquals("bob", receipt.path("by").asText());
        }
    }

    @Test
    void theSenderAndNonMembersMayNotMarkAGroupMessageRead() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice"); Wire eve = server.userOnline("eve")) {
            String group = create(alice, "climbing", "bob");
            String msg = alice.request("{'type':'send','id':'s1','group':'" + group + "','body':'hi'}", "s1")
                    .path("msg").asText();

            alice.send("{'type':'read','msg':'" + msg + "'}");
            eve.send("{'type':'read','msg':'" + msg + "'}");

            assertEquals("invalid", alice.next("error").path("code").asText());
            assertEquals("invalid", eve.next("error").path("code").asText());
        }
    }

    @Test
    void aRepeatedSendIdDeliversNothingNew() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            String group = create(alice, "climbing", "bob");
            String send = "{'type':'send','id':'s1','group':'" + group + "','body':'once'}";
            JsonNode first = alice.request(send, "s1");

            JsonNode again = alice.request(send, "s1");

            assertEquals(first.path("msg").asText(), again.path("msg").asText());
            assertEquals(first.path("ts").asLong(), again.path("ts").asLong());
            assertEquals(first.path("msg").asText(), bob.next("msg").path("msg").asText());
            alice.request("{'type':'send','id':'s2','group':'" + group + "','body':'twice'}", "s2");
            assertEquals("twice", bob.next("msg").path("body").asText(), "the repeat delivered nothing");
        }
    }

    @Test
    void aMemberAddedLaterGetsNoEarlierMessages() throws Exception {
        try (Wire carol = server.userOnline("carol"); Wire alice = server.userOnline("alice")) {
            server.register("bob");
            String group = create(alice, "climbing", "bob");
            alice.request("{'type':'send','id':'s1','group':'" + group + "','body':'before'}", "s1");

            alice.request("{'type':'group_add','id':'a','group':'" + group + "','users':['carol']}", "a");
            alice.request("{'type':'send','id':'s2','group':'" + group + "','body':'after'}", "s2");

            JsonNode msg = carol.next("msg");
            assertEquals("after", msg.path("body").asText());
            assertTrue(msg.path("seq").asLong() > 1);
        }
    }

    @Test
    void aGroupMessageWaitsForRoomInTheCommitQueueRatherThanMissAMember() throws Exception {
        // given a commit queue with room for 16 operations, and 12 online members who do not ack,
        // so that their items hold that room until ack_grace has passed
        server.close();
        server = TestServer.start(java.util.Map.of("commit_lanes", 1, "commit_queue_capacity", 16, "ack_grace", "300ms"));
        List<Wire> members = new java.util.ArrayList<>();
        try (Wire alice = server.userOnline("alice")) {
            String[] names = new String[12];
            for (int i = 0; i < names.length; i++) {
                names[i] = "m" + i;
                members.add(server.userOnline(names[i]));
            }
            String group = create(alice, "crowd", names);

            // when alice sends two messages at once: the second needs room the first still holds
            alice.send("{'type':'send','id':'s1','group':'" + group + "','body':'one'}");
            alice.send("{'type':'send','id':'s2','group':'" + group + "','body':'two'}");

            // then both are accepted, and every member gets both, in order
            assertEquals("ok", alice.reply("s1").path("type").asText());
            assertEquals("ok", alice.reply("s2").path("type").asText());
            for (Wire m : members) {
                assertEquals(List.of("one", "two"), m.next("msg", 2).stream().map(f -> f.path("body").asText()).toList());
            }
        } finally {
            for (Wire m : members) m.close();
        }
    }

    @Test
    void aGroupMessageLargerThanTheCommitQueueIsRefusedWhole() throws Exception {
        server.close();
        server = TestServer.start(java.util.Map.of("commit_lanes", 1, "commit_queue_capacity", 16));
        String[] names = new String[20];
        for (int i = 0; i < names.length; i++) names[i] = "m" + i;
        server.register(names);
        try (Wire alice = server.userOnline("alice")) {
            String group = create(alice, "too-many", names);

            JsonNode reply = alice.request("{'type':'send','id':'s1','group':'" + group + "','body':'hi all'}", "s1");

            assertEquals("error", reply.path("type").asText(), reply::toString);
            assertEquals("overloaded", reply.path("code").asText());
            try (Wire m0 = server.connect()) {
                m0.login("m0");
                m0.send("{'type':'ping','id':'p'}");
                assertEquals("pong", m0.nextMatching(f -> !f.path("type").asText().equals("group"), "not a group event")
                        .path("type").asText(), "no member got any part of the message");
            }
        }
    }

    @Test
    void aGroupMessageWaitingForRoomDoesNotStopItsSenderFromBeingRead() throws Exception {
        // given one commit lane with room for 16 items, held up to 30 s for their ack, and a group
        // of alice and eight members
        try (TestServer small = TestServer.start(java.util.Map.of("commit_lanes", 1, "commit_queue_capacity", 16,
                "ack_grace", "30s"))) {
            List<Wire> members = new java.util.ArrayList<>();
            for (int i = 1; i <= 8; i++) members.add(small.userOnline("m" + i));
            try (Wire bob = small.userOnline("bob"); Wire alice = small.userOnline("alice")) {
                // (everyone acks the group's creation event, so that it holds no room; not create():
                // with ack_grace 30 s the ok waits for those acks, so they must come before it)
                alice.send("{'type':'group_create','id':'c','name':'crag','members':['m1','m2','m3','m4','m5','m6','m7','m8']}");
                for (Wire m : members) m.ack(m.next("group").path("seq").asLong());
                String group = null;
                boolean eventAcked = false;
                while (group == null || !eventAcked) {
                    JsonNode f = alice.next();
                    if (f.path("type").asText().equals("group")) {
                        alice.ack(f.path("seq").asLong());
                        eventAcked = true;
                    } else if (f.path("id").asText().equals("c")) {
                        group = f.path("group").asText();
                    }
                }
                // and ten messages from bob that alice has received but not acked: 10 of the 16 taken
                alice.request("{'type':'subscribe','id':'w','user':'bob'}", "w");
                assertEquals("online", alice.next("presence").path("status").asText());
                long lastSeq = 0;
                for (int i = 1; i <= 10; i++) bob.send("{'type':'send','id':'b" + i + "','to':'alice','body':'" + i + "'}");
                for (int i = 1; i <= 10; i++) lastSeq = alice.next("msg").path("seq").asLong();
                // and bob gone: the receipts alice's ack makes are then written at once and give
                // their room back. Held for an online bob, who never acks them, they could take
                // the room her ack frees before the waiting message does (one run in ten under load).
                // (bob's logout ok waits for his sends' oks, which wait for alice's ack; his
                // session ends at once, and alice sees it)
                bob.send("{'type':'logout','id':'bye'}");
                assertEquals("offline", alice.next("presence").path("status").asText());

                // when alice sends the group a message, which must wait for room for its 8 items,
                // and then acks bob's messages
                alice.send("{'type':'send','id':'g1','group':'" + group + "','body':'on belay'}");
                alice.ack(lastSeq);

                // then her ack is read while the message waits, it frees the room, and the message
                // goes out (were the ack left unread, the message would wait in vain and be refused)
                for (Wire m : members) {
                    JsonNode msg = m.next("msg");
                    assertEquals("on belay", msg.path("body").asText());
                    m.ack(msg.path("seq").asLong());
                }
                JsonNode ok = alice.reply("g1");
                assertEquals("ok", ok.path("type").asText(), ok::toString);
            } finally {
                for (Wire m : members) m.close();
            }
        }
    }
}
