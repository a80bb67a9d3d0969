package loomchat.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import loomchat.client.ChatClient;
import loomchat.client.ClientLoop;

/**
 * The server under load: its chat and HTTP ports, and the local addresses connections come from.
 *
 * <p>One source address has only ~28,000 ephemeral ports, and a port closed by the client sits
 * in TIME_WAIT for a minute; {@code reconnect} of 19,000 clients needs 38,000. Connections to a
 * loopback server are therefore spread over 127.0.0.1, 127.0.0.2, ... (all of 127/8 is local).
 */
record Target(String host, int port, int httpPort, List<InetAddress> sources, Duration connectTimeout) {

    /** A target whose connections come from {@code sourceCount} loopback addresses if the host is local. */
    static Target of(String host, int port, int httpPort, int sourceCount, Duration connectTimeout)
            throws UnknownHostException {
        List<InetAddress> sources = new ArrayList<>();
        if (InetAddress.getByName(host).isLoopbackAddress()) {
            for (int i = 1; i <= sourceCount; i++) {
                sources.add(InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) i}));
            }
        }
        return new Target(host, port, httpPort, List.copyOf(sources), connectTimeout);
    }

    /** Connects the {@code n}-th client of a workload (the number picks its source address). */
    ChatClient connect(int n) throws IOException {
        return ChatClient.connect(host, port, null, connectTimeout, source(n));
    }

    /** Connects the {@code n}-th client of a workload on {@code loop}, logged in by token; returns its number there. */
    int connect(ClientLoop loop, int n, String user, String token) throws IOException {
        return loop.connect(host, port, source(n), user, token, connectTimeout);
    }

    private InetAddress source(int n) {
        return sources.isEmpty() ? null : sources.get(Math.floorMod(n, sources.size()));
    }
}
