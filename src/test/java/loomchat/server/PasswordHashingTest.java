package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Password hashing is slow on purpose. It must cost the people logging in, not everyone else:
 * the server's other connections go on being served while every hashing thread is busy.
 */
class PasswordHashingTest extends ServerTest {
    /**
     * About a second of CPU a hash on the 2-core box this was written on (600,000, the default,
     * took 0.13 s there): long beside a ping even on a machine several times faster, short for
     * a test.
     */
    private static final int ITERATIONS = 5_000_000;
    private static final int HASHING_THREADS = Runtime.getRuntime().availableProcessors();

    @Override
    protected Map<String, ?> settings() {
        // one hashing thread per core (the default), as many as the virtual threads' carriers
        return Map.of("password_iterations", ITERATIONS, "hash_concurrency", HASHING_THREADS);
    }

    @Test
    void aPingIsAnsweredWhileEveryHashingThreadIsBusy() throws Exception {
        // given: as many registrations under way as there are hashing threads (and carriers)
        Wire chatting = server.connect();
        List<Wire> registering = new ArrayList<>();
        for (int i = 0; i < HASHING_THREADS; i++) {
            Wire w = server.connect();
            w.send("{'type':'register','id':'r','user':'newcomer" + i + "','password':'" + Wire.PASSWORD + "'}");
            registering.add(w);
        }
        Thread.sleep(100); // the hashes are under way

        // when
        JsonNode pong = chatting.request("{'type':'ping','id':'p'}", "p");

        // then: answered while every hash is still running
        assertEquals("pong", pong.path("type").asText());
        for (Wire w : registering) w.expectSilence(Duration.ofMillis(1));
        for (Wire w : registering) assertEquals("ok", w.reply("r").path("type").asText());
    }
}
