package loomchat.chat;

import com.fasterxml.jackson.databind.JsonNode;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A user name may start with {@code g-}, as group ids do: their 1:1 messages are still theirs to
 * mark read, since a message id says whether it went to a user or to a group.
 */
class ReadOfAUserNamedLikeAGroupTest extends ServerTest {
    @Test
    void aUserNamedLikeAGroupMayMarkTheirMessageRead() throws Exception {
        try (Wire gbob = server.userOnline("g-bob"); Wire alice = server.userOnline("alice")) {
            // given alice's message to g-bob
            String msg = alice.sendMessage("c1", "g-bob", "hi").path("msg").asText();
            gbob.next("msg");

            // when g-bob reads it
            gbob.send("{'type':'read','msg':'" + msg + "'}");

            // then alice gets {"type":"receipt","msg":..,"status":"read","by":"g-bob"}
            JsonNode receipt = alice.next("receipt");
            assertEquals(msg, receipt.path("msg").asText());
            assertEquals("read", receipt.path("status").asText());
            assertEquals("g-bob", receipt.path("by").asText());
        }
    }
}
