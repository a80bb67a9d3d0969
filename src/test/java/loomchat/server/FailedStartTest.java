package loomchat.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import loomchat.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A start that fails part way closes what it had opened, so that the next attempt can have it. */
class FailedStartTest {
    @TempDir
    Path dataDir;

    @Test
    void aStartRefusedForATakenHttpPortLetsGoOfItsChatPort() throws Exception {
        // given a free chat port, and an HTTP port that something else holds
        int chatPort = freePort();
        Map<String, Object> settings = new HashMap<>(ConfigLoader.forTests());
        settings.put("data_dir", dataDir.toString());
        settings.put("port", chatPort);
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            settings.put("http_port", taken.getLocalPort());

            // when a server starts on them
            assertThrows(IOException.class, () -> ChatServer.start(ConfigLoader.of(settings)));
        }

        // then, the HTTP port free again, a second try on the same ports and data directory starts
        try (ChatServer again = ChatServer.start(ConfigLoader.of(settings))) {
            assertEquals(chatPort, again.port());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }
}
