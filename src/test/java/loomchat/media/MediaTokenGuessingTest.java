package loomchat.media;

import java.util.Map;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Bearer tokens on the HTTP port are throttled per address, like token logins on the chat port. */
class MediaTokenGuessingTest extends ServerTest {
    @Override
    protected Map<String, ?> settings() {
        return Map.of("login_failures_per_address", 3);
    }

    @Test
    void anAddressThatGuessedTokensTooOftenIsRefusedEvenWithAGoodOne() throws Exception {
        MediaRequests http = new MediaRequests(server.httpPort());
        String token;
        try (Wire alice = server.connect()) {
            alice.register("alice");
            token = alice.login("alice").path("token").asText();
        }
        String id = http.uploaded(token, "text/plain", "hello".getBytes());
        // given three guesses from this address
        for (int i = 0; i < 3; i++) assertEquals(401, http.download("guess-" + i, id).statusCode());

        // then even a good token is refused from it for the window, without a lookup
        assertEquals(401, http.download(token, id).statusCode());
    }
}
