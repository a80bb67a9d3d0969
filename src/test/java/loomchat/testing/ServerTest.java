package loomchat.testing;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The base of tests that each talk to a fresh server: one is started on port 0 with a temporary
 * data directory before every test and closed after it. A class that needs other settings
 * overrides {@link #settings()}; a test that needs yet others closes {@link #server} and starts
 * another in its place, which is then closed for it.
 */
public abstract class ServerTest {
    protected TestServer server;

    /** Settings changed for every test of the class (keys as in config.yaml). */
    protected Map<String, ?> settings() {
        return Map.of();
    }

    @BeforeEach
    final void startServer() throws Exception {
        server = TestServer.start(settings());
    }

    @AfterEach
    final void stopServer() {
        server.close();
    }
}
