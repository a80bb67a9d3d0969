package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** A send retried with the same request id answers as the first time and delivers nothing new. */
class IdempotentSendTest extends ServerTest {
    @Test
    void sameIdTwiceGivesTheSameMsgAndTsAndOneDelivery() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            JsonNode first = alice.sendMessage("c-17", "bob", "hi");
            JsonNode retry = alice.sendMessage("c-17", "bob", "hi");

            assertEquals(first.path("msg").asText(), retry.path("msg").asText());
            assertEquals(first.path("ts").asLong(), retry.path("ts").asLong());
        }
        try (Wire bob = server.connect()) {
            assertEquals(1, bob.login("bob").path("pending").asInt());
        }
    }

    @Test
    void retriesInFlightGetTheSameAnswer() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            // the retry arrives before the first send is durable
            alice.send("{'type':'send','id':'c1','to':'bob','body':'hi'}");
            alice.send("{'type':'send','id':'c1','to':'bob','body':'hi'}");

            JsonNode a = alice.next("ok");
            JsonNode b = alice.next("ok");
            assertEquals(a.path("msg").asText(), b.path("msg").asText());
            assertEquals(a.path("ts").asLong(), b.path("ts").asLong());
        }
        try (Wire bob = server.connect()) {
            assertEquals(1, bob.login("bob").path("pending").asInt());
        }
    }

    @Test
    void sameIdAfterTheSenderReconnectsGivesTheSameAnswer() throws Exception {
        server.register("bob");
        JsonNode first;
        String token;
        server.register("alice");
        try (Wire alice = server.connect()) {
            token = alice.login("alice").path("token").asText();
            first = alice.sendMessage("c1", "bob", "hi");
            // the ok is lost with the connection, as far as alice's app knows
        }
        try (Wire alice = server.connect()) {
            assertEquals("ok", alice.loginWithToken("alice", token).path("type").asText());

            JsonNode retry = alice.sendMessage("c1", "bob", "hi");

            assertEquals(first.path("msg").asText(), retry.path("msg").asText());
            assertEquals(first.path("ts").asLong(), retry.path("ts").asLong());
        }
        try (Wire bob = server.connect()) {
            assertEquals(1, bob.login("bob").path("pending").asInt());
        }
    }

    @Test
    void aNewIdIsANewMessage() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            JsonNode first = alice.sendMessage("c1", "bob", "hi");
            JsonNode second = alice.sendMessage("c2", "bob", "hi");

            assertNotEquals(first.path("msg").asText(), second.path("msg").asText());
        }
        try (Wire bob = server.connect()) {
            assertEquals(2, bob.login("bob").path("pending").asInt());
        }
    }

    @Test
    void requestIdsAreNotSharedBetweenSenders() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice"); Wire carol = server.userOnline("carol")) {
            JsonNode fromAlice = alice.sendMessage("c1", "bob", "from alice");
            JsonNode fromCarol = carol.sendMessage("c1", "bob", "from carol");

            assertNotEquals(fromAlice.path("msg").asText(), fromCarol.path("msg").asText());
        }
        try (Wire bob = server.connect()) {
            assertEquals(2, bob.login("bob").path("pending").asInt());
        }
    }

    @Test
    void aFailedSendCanBeRetriedWithTheSameId() throws Exception {
        try (Wire alice = server.userOnline("alice")) {
            assertEquals("no_such_user",
                    alice.request("{'type':'send','id':'c1','to':'bob','body':'hi'}", "c1").path("code").asText());
            server.register("bob");

            assertEquals("ok", alice.request("{'type':'send','id':'c1','to':'bob','body':'hi'}", "c1").path("type").asText());
        }
    }
}
