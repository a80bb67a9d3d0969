package loomchat.media;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import loomchat.client.ChatClient;
import loomchat.client.ChatConsole;
import loomchat.client.MediaClient;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI's {@code /send-file} and {@code /get}, through the client library's {@link MediaClient}. */
class MediaConsoleTest extends ServerTest {
    ChatClient client;
    ChatConsole console;
    ByteArrayOutputStream screen = new ByteArrayOutputStream();
    Wire bob;

    @TempDir
    Path files;

    @BeforeEach
    void start() throws Exception {
        bob = server.userOnline("bob");
        client = ChatClient.connect("127.0.0.1", server.port());
        console = ChatConsole.attach(client, new PrintStream(screen, true, StandardCharsets.UTF_8));
        client.register("alice", Wire.PASSWORD);
        String token = client.login("alice", Wire.PASSWORD).token();
        console.media(new MediaClient(URI.create("http://127.0.0.1:" + server.httpPort()), token));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        bob.close();
    }

    @Test
    void sendFileUploadsAndSendsAMessageThatGetDownloads() throws Exception {
        byte[] picture = new byte[50_000];
        for (int i = 0; i < picture.length; i++) picture[i] = (byte) (i * 31);
        Path photo = Files.write(files.resolve("photo.png"), picture);

        console.handle("/send-file bob " + photo);
        console.awaitSends(Duration.ofSeconds(10));

        JsonNode msg = bob.next("msg");
        JsonNode media = msg.path("media");
        assertEquals("image/png", media.path("mime").asText());
        assertEquals(picture.length, media.path("size").asLong());
        // the console prints the sent line from the ok's callback, which may run just after awaitSends
        loomchat.testing.Await.until(() -> screen.toString(StandardCharsets.UTF_8).contains("photo.png"),
                "the console shows the sent file");

        Path copy = files.resolve("copy.png");
        console.handle("/get " + media.path("id").asText() + " " + copy);

        assertArrayEquals(picture, Files.readAllBytes(copy));
        assertTrue(screen.toString(StandardCharsets.UTF_8).contains("saved " + copy), screen::toString);
    }

    @Test
    void getOfAnUnknownIdSaysSoAndWritesNothing() throws Exception {
        Path target = files.resolve("nothing.bin");

        console.handle("/get AAAAAAAAAAAAAAAAAAAAAA " + target);

        assertTrue(screen.toString(StandardCharsets.UTF_8).contains("404"), screen::toString);
        assertTrue(Files.notExists(target));
        try (var left = Files.list(files)) {
            assertEquals(0, left.count(), "no temporary file is left behind");
        }
    }
}
