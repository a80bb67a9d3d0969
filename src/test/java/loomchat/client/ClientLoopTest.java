package loomchat.client;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.ServerFrame;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link ClientLoop}: many connections on one selector thread, as the open-loop benchmark drives them. */
class ClientLoopTest extends ServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** An item the loop's listener received, with the number of the connection it came on. */
    private record Received(int connection, ServerFrame.InboxItem item) {
    }

    private final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private ClientLoop loop;

    @BeforeEach
    void startLoop() throws Exception {
        loop = new ClientLoop("test-loop", (c, item) -> received.add(new Received(c, item)));
    }

    @AfterEach
    void closeLoop() {
        loop.close();
    }

    /** Registers {@code user}, takes a token from a password login, and logs in on the loop with it. */
    private int onLoop(String user) throws Exception {
        server.register(user);
        return loop.connect("127.0.0.1", server.port(), null, user, tokenOf(user), TIMEOUT);
    }

    private Received nextItem() throws InterruptedException {
        Received r = received.poll(5, TimeUnit.SECONDS);
        if (r == null) throw new AssertionError("no item within 5 s");
        return r;
    }

    private String tokenOf(String user) throws Exception {
        try (Wire w = server.connect()) {
            return w.login(user).path("token").asText();
        }
    }

    @Test
    void aMessageReachesTheRecipientsConnectionAndItsAckBringsTheSenderAReceipt() throws Exception {
        // given alice and bob logged in by token on one loop
        int alice = onLoop("alice");
        int bob = onLoop("bob");

        // when alice sends bob {"type":"send","to":"bob","body":"hi"}
        ServerFrame.SendOk ok = loop.send(alice, "bob", "hi").get(5, TimeUnit.SECONDS);

        // then bob's connection gets the msg, and the loop's ack of it turns into alice's "delivered" receipt
        Received msg = nextItem();
        assertEquals(bob, msg.connection());
        ServerFrame.Msg m = assertInstanceOf(ServerFrame.Msg.class, msg.item());
        assertEquals("hi", m.body());
        assertEquals(ok.msg(), m.msg());
        Received receipt = nextItem();
        assertEquals(alice, receipt.connection());
        ServerFrame.Receipt r = assertInstanceOf(ServerFrame.Receipt.class, receipt.item());
        assertEquals(ok.msg(), r.msg());
        assertEquals(ServerFrame.ReceiptStatus.DELIVERED, r.status());
    }

    @Test
    void aMessageLongerThanTheReadBufferArrivesWhole() throws Exception {
        // given alice and bob on one loop, whose read buffers start at 4 KiB
        int alice = onLoop("alice");
        onLoop("bob");

        // when alice sends a 20,000-character body, which reaches bob over several reads
        String body = "0123456789".repeat(2_000);
        loop.send(alice, "bob", body).get(5, TimeUnit.SECONDS);

        // then bob's msg carries it whole
        ServerFrame.Msg m = assertInstanceOf(ServerFrame.Msg.class, nextItem().item());
        assertEquals(body, m.body());
    }

    @Test
    void aSendTheServerRefusesFailsItsFutureWithTheServersCode() throws Exception {
        // given alice on a loop
        int alice = onLoop("alice");

        // when she sends to a user who does not exist
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> loop.send(alice, "nobody", "hello?").get(5, TimeUnit.SECONDS));

        // then the future fails with {"type":"error","code":"no_such_user",...}
        ChatException refused = assertInstanceOf(ChatException.class, e.getCause());
        assertEquals(ErrorCode.NO_SUCH_USER, refused.code());
    }

    @Test
    void aRefusedTokenFailsTheConnect() throws Exception {
        // given an account
        server.register("alice");

        // when a connection logs in with a token the server never issued
        ChatException e = assertThrows(ChatException.class,
                () -> loop.connect("127.0.0.1", server.port(), null, "alice", "not-a-token", TIMEOUT));

        // then the connect fails with the server's code
        assertEquals(ErrorCode.BAD_CREDENTIALS, e.code());
    }
}
