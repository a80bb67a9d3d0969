package loomchat.server;

import loomchat.chat.Authenticator;
import loomchat.chat.Groups;
import loomchat.chat.Presence;
import loomchat.chat.Router;
import loomchat.config.Config;
import loomchat.metrics.Metrics;
import loomchat.protocol.FrameCodec;
import loomchat.store.ChatStore;

/** What a connection needs from the server, gathered so that each connection holds one reference. */
record Services(Config config, FrameCodec codec, ChatStore store, Authenticator auth, Router router,
                Groups groups, Presence presence, Metrics metrics, ChatServer server) {

    /** A user logged in on some connection. */
    void sessionStarted(String user) {
        presence.changed(user);
    }

    /** The connection that was the user's session ended. */
    void sessionEnded(String user, Outbox outbox) {
        // Only if the session really ended: a newer login of the same user keeps them online.
        if (store.detach(user, outbox, System.currentTimeMillis())) presence.changed(user);
    }

    /** A connection not logged in until now logged in or ended: it stops counting against its address. */
    void leftAnonymous(String address) {
        server.leftAnonymous(address);
    }

    /** A connection's group operation runs on a thread of its own; shutdown waits for it. */
    void groupOpStarted() {
        server.groupOpStarted();
    }

    void groupOpEnded() {
        server.groupOpEnded();
    }

    /** The socket a connection talks through: {@code raw}, or TLS over it. */
    java.net.Socket secure(java.net.Socket raw) throws java.io.IOException {
        return server.secure(raw);
    }

    void connectionClosed(Connection connection) {
        server.forget(connection);
    }
}
