package loomchat.client;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import loomchat.protocol.ClientFrame.TypingState;
import loomchat.testing.Await;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The console's group, presence and typing commands, against a real server. */
class ChatConsoleGroupsTest extends ServerTest {
    ChatClient alice;
    ByteArrayOutputStream printed;
    ChatConsole console;

    @BeforeEach
    void start() throws Exception {
        server.register("bob", "carol");
        alice = ChatClient.connect("127.0.0.1", server.port());
        printed = new ByteArrayOutputStream();
        console = ChatConsole.attach(alice, new PrintStream(printed, true, StandardCharsets.UTF_8));
        alice.register("alice", Wire.PASSWORD);
        alice.login("alice", Wire.PASSWORD);
    }

    @AfterEach
    void stop() {
        alice.close();
    }

    @Test
    void groupCommandsCreateInspectAndMessageAGroup() {
        console.handle("/group new climbing bob");
        String group = alice.groups().get(0).group();
        console.handle("/group add " + group + " carol");
        console.handle("/group info " + group);
        console.handle("/groups");
        console.handle("/g " + group + " rope?");
        console.handle("and a plain line goes to the group too");
        console.awaitSends(java.time.Duration.ofSeconds(10));

        awaitPrinted("created " + group + " (climbing)");
        awaitPrinted(group + " \"climbing\": alice (admin), bob, carol");
        awaitPrinted("  " + group + "  climbing");
        awaitPrinted("→ " + group + ": rope? ✓ sent");
        awaitPrinted("→ " + group + ": and a plain line goes to the group too ✓ sent");
    }

    @Test
    void groupErrorsArePrinted() {
        console.handle("/group info g-AAAAAAAAAAAA");
        awaitPrinted("✗ no_such_group");
    }

    @Test
    void watchShowsPresenceAndTypingShowsOncePerSpell() throws Exception {
        console.handle("/watch bob");
        awaitPrinted("* bob is offline");

        try (ChatClient bob = ChatClient.connect("127.0.0.1", server.port())) {
            bob.login("bob", Wire.PASSWORD);
            awaitPrinted("* bob is online");
            bob.typing("alice", TypingState.COMPOSING);
            bob.typing("alice", TypingState.COMPOSING);
            bob.typing("alice", TypingState.PAUSED);
            bob.typing("alice", TypingState.COMPOSING);
            bob.ping(); // his frames are handled in order: everything above reached alice's queue first
            alice.ping();
            assertEquals(2, lines().stream().filter(l -> l.contains("bob is typing")).count());
        }
    }

    private List<String> lines() {
        return printed.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private void awaitPrinted(String text) {
        Await.until(() -> printed.toString(StandardCharsets.UTF_8).contains(text), "console to print: " + text
                + "\n--- printed so far:\n" + printed.toString(StandardCharsets.UTF_8));
    }
}
