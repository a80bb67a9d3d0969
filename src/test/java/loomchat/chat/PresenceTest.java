package loomchat.chat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import loomchat.metrics.Metrics;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Presence: subscribe, unsubscribe, online/offline notices and last_seen. */
class PresenceTest extends ServerTest {
    @Override
    protected Map<String, ?> settings() {
        return Map.of("max_subscriptions", 2);
    }

    @Test
    void subscribingToAnOnlineUserRepliesOkThenOnline() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            alice.send("{'type':'subscribe','id':'1','user':'bob'}");

            JsonNode ok = alice.next();
            JsonNode presence = alice.next();

            assertEquals("ok", ok.path("type").asText());
            assertEquals("1", ok.path("id").asText());
            assertEquals("presence", presence.path("type").asText());
            assertEquals("bob", presence.path("user").asText());
            assertEquals("online", presence.path("status").asText());
            assertFalse(presence.has("last_seen"));
        }
    }

    @Test
    void aUserWhoLeftIsOfflineWithLastSeen() throws Exception {
        long before = System.currentTimeMillis();
        try (Wire bob = server.userOnline("bob")) {
            bob.request("{'type':'logout','id':'x'}", "x");
            assertTrue(bob.closedByServer());
        }
        try (Wire alice = server.userOnline("alice")) {
            JsonNode presence = awaitOffline(alice, "bob");
            assertTrue(presence.path("last_seen").asLong() >= before, presence::toString);
        }
    }

    @Test
    void aUserNeverSeenOnlineIsOfflineWithoutLastSeen() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            alice.request("{'type':'subscribe','id':'1','user':'bob'}", "1");
            JsonNode presence = alice.next("presence");
            assertEquals("offline", presence.path("status").asText());
            assertFalse(presence.has("last_seen"), presence::toString);
        }
    }

    @Test
    void watchersAreToldWhenTheUserComesAndGoes() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            alice.request("{'type':'subscribe','id':'1','user':'bob'}", "1");
            assertEquals("offline", alice.next("presence").path("status").asText());

            Wire bob = server.connect();
            bob.login("bob");
            assertEquals("online", alice.next("presence").path("status").asText());
            bob.close();

            JsonNode offline = alice.next("presence");
            assertEquals("offline", offline.path("status").asText());
            assertTrue(offline.path("last_seen").asLong() > 0);
        }
    }

    @Test
    void everyWatcherIsToldWhenTheWatchedUserComesOnline() throws Exception {
        server.register("bob");
        List<Wire> watchers = new ArrayList<>();
        try {
            for (int i = 0; i < 30; i++) {
                Wire w = server.userOnline("w" + i);
                w.request("{'type':'subscribe','id':'1','user':'bob'}", "1");
                assertEquals("offline", w.next("presence").path("status").asText());
                watchers.add(w);
            }

            try (Wire bob = server.connect()) {
                bob.login("bob");
                for (Wire w : watchers) assertEquals("online", w.next("presence").path("status").asText());
            }
        } finally {
            for (Wire w : watchers) w.close();
        }
    }

    @Test
    void unsubscribingStopsTheNotices() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            alice.request("{'type':'subscribe','id':'1','user':'bob'}", "1");
            alice.next("presence");

            JsonNode ok = alice.request("{'type':'unsubscribe','id':'2','user':'bob'}", "2");
            assertEquals("ok", ok.path("type").asText());
            try (Wire bob = server.connect()) {
                bob.login("bob");
                // bob's pong comes after his login told his watchers; alice's pong after anything queued for her
                bob.request("{'type':'ping','id':'p'}", "p");
                alice.send("{'type':'ping','id':'p'}");
                assertEquals("pong", alice.next().path("type").asText(), "no presence after unsubscribe");
            }
        }
    }

    @Test
    void subscribingToAnUnknownUserIsNoSuchUser() throws Exception {
        try (Wire alice = server.userOnline("alice")) {
            assertEquals("no_such_user",
                    alice.request("{'type':'subscribe','id':'1','user':'nobody'}", "1").path("code").asText());
            assertEquals("no_such_user",
                    alice.request("{'type':'unsubscribe','id':'2','user':'nobody'}", "2").path("code").asText());
        }
    }

    @Test
    void watchingMoreThanMaxSubscriptionsIsInvalid() throws Exception {
        server.register("b", "c", "d");
        try (Wire alice = server.userOnline("alice")) {
            alice.request("{'type':'subscribe','id':'1','user':'b'}", "1");
            alice.request("{'type':'subscribe','id':'2','user':'c'}", "2");

            JsonNode third = alice.request("{'type':'subscribe','id':'3','user':'d'}", "3");
            JsonNode again = alice.request("{'type':'subscribe','id':'4','user':'c'}", "4");
            alice.request("{'type':'unsubscribe','id':'5','user':'b'}", "5");
            JsonNode afterRoom = alice.request("{'type':'subscribe','id':'6','user':'d'}", "6");

            assertEquals("invalid", third.path("code").asText(), third::toString);
            assertEquals("ok", again.path("type").asText(), "watching the same user again takes no room");
            assertEquals("ok", afterRoom.path("type").asText(), afterRoom::toString);
        }
    }

    @Test
    void lastSeenSurvivesARestart() throws Exception {
        long seen;
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            alice.request("{'type':'subscribe','id':'1','user':'bob'}", "1");
            alice.next("presence");
            bob.close();
            seen = alice.next("presence").path("last_seen").asLong();
        }

        server.restart();

        try (Wire alice = server.connect()) {
            alice.login("alice");
            JsonNode presence = awaitOffline(alice, "bob");
            assertEquals(seen, presence.path("last_seen").asLong());
        }
    }

    @Test
    void usersOnlineAtShutdownAreLastSeenThen() throws Exception {
        long before = System.currentTimeMillis();
        Wire bob = server.userOnline("bob");

        server.restart();
        bob.close();

        try (Wire alice = server.userOnline("alice")) {
            JsonNode presence = awaitOffline(alice, "bob");
            assertTrue(presence.path("last_seen").asLong() >= before, presence::toString);
        }
    }

    @Test
    void onlyTheLatestLastSeenOfAFlappingUserIsWritten() throws Exception {
        // given bob, watched by alice, comes and goes twice within the 10 s a last-seen time waits
        Metrics metrics = server.server().metrics();
        long firstDrop;
        long secondDrop;
        try (Wire alice = server.userOnline("alice")) {
            server.register("bob");
            alice.request("{'type':'subscribe','id':'1','user':'bob'}", "1");
            alice.next("presence"); // offline, never seen

            loggedIn("bob").close();
            alice.next("presence"); // online
            firstDrop = alice.next("presence").path("last_seen").asLong();
            Thread.sleep(2); // times are milliseconds: the second drop must not share the first's
            loggedIn("bob").close();
            alice.next("presence"); // online again
            secondDrop = alice.next("presence").path("last_seen").asLong();
        }
        long before = metrics.lastSeenWritten.sum();

        // when the server shuts down, which writes the last-seen times still waiting
        server.restart();

        // then only bob's latest time was written, and it is the one that survives
        assertEquals(2, metrics.lastSeenWritten.sum() - before, "bob's second drop and alice's, not bob's first");
        assertTrue(secondDrop > firstDrop);
        try (Wire alice = server.connect()) {
            alice.login("alice");
            assertEquals(secondDrop, awaitOffline(alice, "bob").path("last_seen").asLong());
        }
    }

    private Wire loggedIn(String user) throws Exception {
        Wire w = server.connect();
        w.login(user);
        return w;
    }

    private static JsonNode awaitOffline(Wire alice, String user) throws Exception {
        alice.request("{'type':'subscribe','id':'s','user':'" + user + "'}", "s");
        JsonNode presence = alice.next("presence");
        assertEquals("offline", presence.path("status").asText(), presence::toString);
        return presence;
    }
}
