package loomchat.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import loomchat.protocol.ServerFrame;
import loomchat.testing.Await;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link ChatClient} under the server's back-pressure: many sends in flight on one connection. */
class ChatClientPipeliningTest extends ServerTest {
    private static final int SENDS = 20_000;

    @Override
    protected Map<String, ?> settings() {
        // No rate limit, and a stall cut far beyond the test's own wait: a stuck client must show
        // as a timeout here, not be rescued by the server cutting it off.
        return Map.of("send_rate", 1_000_000, "send_burst", 1_000_000, "write_stall_timeout", "300s");
    }

    @Test
    void thousandsOfSendsFiredWithoutWaitingAllGetTheirOkWhileReceiptsAreAckedAutomatically() throws Exception {
        // given alice and bob online through the library, both acking automatically
        server.register("alice", "bob");
        AtomicInteger received = new AtomicInteger();
        try (ChatClient bob = ChatClient.connect("127.0.0.1", server.port());
             ChatClient alice = ChatClient.connect("127.0.0.1", server.port())) {
            bob.onItem(item -> received.incrementAndGet());
            bob.login("bob", Wire.PASSWORD);
            alice.login("alice", Wire.PASSWORD);

            // when alice fires far more sends than the server lets be in flight (it stops reading
            // her), while the receipts for them keep arriving on her connection
            List<CompletableFuture<ServerFrame.SendOk>> oks = new ArrayList<>(SENDS);
            String body = "x".repeat(2000);
            for (int i = 0; i < SENDS; i++) oks.add(alice.send("bob", body));

            // then every send is answered and delivered
            CompletableFuture.allOf(oks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            Await.until(() -> received.get() >= SENDS, Duration.ofSeconds(30), SENDS + " messages to reach bob");
            assertEquals(SENDS, received.get());
        }
    }
}
