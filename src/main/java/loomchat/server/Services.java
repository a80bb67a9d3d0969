package loomchat.server;

import java.util.concurrent.ScheduledExecutorService;
import loomchat.chat.Authenticator;
import loomchat.chat.Router;
import loomchat.config.Config;
import loomchat.metrics.Metrics;
import loomchat.protocol.FrameCodec;
import loomchat.store.ChatStore;

/** What a connection needs from the server, gathered so that each connection holds one reference. */
record Services(Config config, FrameCodec codec, ChatStore store, Authenticator auth, Router router,
                Metrics metrics, ScheduledExecutorService timer, ChatServer server) {

    /** A user logged in on some connection. */
    void sessionStarted(String user) {
        // Presence notifications hook in here.
    }

    /** The connection that was the user's session ended. */
    void sessionEnded(String user, Outbox outbox) {
        store.detach(user, outbox, System.currentTimeMillis());
    }

    void connectionClosed(Connection connection) {
        server.forget(connection);
    }
}
