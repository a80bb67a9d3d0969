package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import loomchat.testing.Await;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replies of a hundred kilobytes ({@code group_info} of a large group, {@code groups}): the queue
 * of what a connection is owed is bounded in bytes as well as in frames.
 */
class LargeRepliesTest {
    private static final int MEMBERS = 300;
    private static final int REQUESTS = 120; // about 10 KB each: over a megabyte in all

    @Test
    void aClientThatAsksForMoreThanItReadsIsSlowedAndGetsEveryReplyButNotItsNotices() throws Exception {
        try (TestServer server = TestServer.start(Map.of("max_group_size", MEMBERS + 10))) {
            // given a group of 300 members with long names, bob among them, and alice offline
            List<String> members = new ArrayList<>();
            for (int i = 0; i < MEMBERS; i++) members.add("m" + "0".repeat(25) + String.format("%06d", i));
            server.register(members.toArray(String[]::new));
            server.register("bob", "alice");
            String group;
            try (Wire carol = server.userOnline("carol")) {
                StringBuilder list = new StringBuilder("'bob'");
                for (String m : members) list.append(",'").append(m).append('\'');
                group = carol.request("{'type':'group_create','id':'g','name':'big','members':[" + list + "]}", "g")
                        .path("group").asText();
            }
            try (Wire bob = Wire.connectSlowReader(server.port())) {
                bob.login("bob");

                // when bob watches alice and asks for the group's details 120 times without reading
                bob.send("{'type':'subscribe','id':'s','user':'alice'}");
                for (int i = 0; i < REQUESTS; i++) {
                    bob.send("{'type':'group_info','id':'i" + i + "','group':'" + group + "'}");
                }
                // the server answers what it may, then stops: its reader, or the thread running his
                // group requests, waits for room. It may stop more than once, as its writer moves
                // replies into the kernel's buffers; once those are full nothing drains, and no
                // reply is queued any more (replies are counted as "ok" frames).
                Await.until(() -> server.server().metrics().waitingForRoom.sum() > 0, "the server to stop");
                Await.steady(() -> server.server().metrics().framesOut("ok"), Duration.ofMillis(1000),
                        "the server to queue no more replies for bob");
                assertTrue(server.server().metrics().waitingForRoom.sum() > 0, "still waiting for room");
                // and alice comes online meanwhile
                try (Wire alice = server.connect()) {
                    alice.login("alice");

                    // then bob, reading at last, gets every reply in order, but not alice's
                    // notice, dropped while more than half a megabyte of replies waited for him
                    List<String> presence = new ArrayList<>();
                    int replies = 0;
                    while (replies < REQUESTS) {
                        JsonNode f = bob.next();
                        if ("presence".equals(f.path("type").asText())) presence.add(f.path("status").asText());
                        if (f.path("id").asText("").startsWith("i")) {
                            assertEquals("i" + replies, f.path("id").asText());
                            assertEquals(MEMBERS + 2, f.path("members").size(), f::toString);
                            replies++;
                        }
                    }
                    bob.send("{'type':'ping','id':'p'}"); // answered after anything queued before it
                    for (JsonNode f = bob.next(); !"pong".equals(f.path("type").asText()); f = bob.next()) {
                        if ("presence".equals(f.path("type").asText())) presence.add(f.path("status").asText());
                    }
                    assertEquals(List.of("offline"), presence);
                }
            }
        }
    }
}
