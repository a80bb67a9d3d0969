package loomchat.chat;

import com.fasterxml.jackson.databind.JsonNode;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static loomchat.chat.GroupsTest.create;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Typing indicators: forwarded to online recipients, dropped otherwise, never answered. */
class TypingTest extends ServerTest {
    @Test
    void typingReachesAnOnlineRecipient() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            alice.send("{'type':'typing','to':'bob','state':'composing'}");
            alice.send("{'type':'typing','to':'bob','state':'paused'}");

            JsonNode composing = bob.next("typing");
            JsonNode paused = bob.next("typing");

            assertEquals("alice", composing.path("from").asText());
            assertEquals("composing", composing.path("state").asText());
            assertFalse(composing.has("group"));
            assertEquals("paused", paused.path("state").asText());
        }
    }

    @Test
    void typingFasterThanAPersonTypesIsDroppedPastTheBurst() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            // when alice sends a hundred typing notices at once, then a message
            for (int i = 0; i < 100; i++) alice.send("{'type':'typing','to':'bob','state':'composing'}");
            alice.sendMessage("s1", "bob", "done typing");

            // then bob gets the burst's worth of them (and perhaps one refilled), then the message
            int typing = 0;
            while (bob.next().path("type").asText().equals("typing")) typing++;
            assertTrue(typing >= Presence.TYPING_BURST && typing <= Presence.TYPING_BURST + 1, typing + " typing notices");
        }
    }

    @Test
    void typingToAnOfflineUserIsDroppedWithoutReply() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            alice.send("{'type':'typing','to':'bob','state':'composing'}");
            alice.send("{'type':'typing','to':'nobody','state':'composing'}");
            alice.send("{'type':'ping','id':'p'}");

            assertEquals("pong", alice.next().path("type").asText(), "no reply to typing");
        }
        try (Wire bob = server.connect()) {
            JsonNode login = bob.login("bob");
            assertEquals(0, login.path("pending").asInt(), "typing is never stored");
        }
    }

    @Test
    void typingInAGroupReachesTheOtherOnlineMembers() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire carol = server.userOnline("carol");
             Wire alice = server.userOnline("alice")) {
            String group = create(alice, "climbing", "bob", "carol");

            alice.send("{'type':'typing','group':'" + group + "','state':'composing'}");

            for (Wire w : new Wire[] {bob, carol}) {
                JsonNode typing = w.next("typing");
                assertEquals("alice", typing.path("from").asText());
                assertEquals(group, typing.path("group").asText());
            }
            alice.send("{'type':'ping','id':'p'}");
            assertEquals("pong", alice.nextMatching(f -> !"group".equals(f.path("type").asText()), "no echo")
                    .path("type").asText());
        }
    }

    @Test
    void typingIntoAGroupOneIsNotInIsDropped() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice");
             Wire eve = server.userOnline("eve")) {
            String group = create(alice, "climbing", "bob");

            eve.send("{'type':'typing','group':'" + group + "','state':'composing'}");
            eve.send("{'type':'ping','id':'p'}");
            assertEquals("pong", eve.next().path("type").asText(), "dropped without an error");
            // eve's frame was handled before her pong; alice's comes after it on the same route
            alice.send("{'type':'typing','group':'" + group + "','state':'paused'}");

            JsonNode first = bob.next("typing");
            assertEquals("alice", first.path("from").asText(), "eve's indicator never arrived");
        }
    }
}
