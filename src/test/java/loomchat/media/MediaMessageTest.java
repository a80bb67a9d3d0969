package loomchat.media;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import loomchat.client.ChatClient;
import loomchat.protocol.Media;
import loomchat.protocol.ServerFrame;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Messages that carry media: the id must name an upload, and the media object reaches the recipient. */
class MediaMessageTest extends ServerTest {
    MediaRequests http;
    Wire alice;
    Wire bob;
    String aliceToken;

    @BeforeEach
    void start() throws Exception {
        http = new MediaRequests(server.httpPort());
        alice = server.connect();
        alice.register("alice");
        aliceToken = alice.login("alice").path("token").asText();
        bob = server.userOnline("bob");
    }

    @AfterEach
    void stop() throws Exception {
        alice.close();
        bob.close();
    }

    @Test
    void sendWithUnknownMediaIsRefused() throws Exception {
        JsonNode reply = alice.request(
                "{'type':'send','id':'s1','to':'bob','body':'look','media':{'id':'AAAAAAAAAAAAAAAAAAAAAA','mime':'image/png','size':5}}",
                "s1");

        assertEquals("error", reply.path("type").asText());
        assertEquals("no_such_media", reply.path("code").asText());
        assertEquals("s1", reply.path("id").asText());
    }

    @Test
    void sendWithUploadedMediaDeliversTheMediaObject() throws Exception {
        String id = http.uploaded(aliceToken, "image/png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 0});

        JsonNode ok = alice.request("{'type':'send','id':'s1','to':'bob','body':'look','media':{'id':'" + id
                + "','mime':'image/png','size':5}}", "s1");
        assertEquals("ok", ok.path("type").asText(), ok::toString);

        JsonNode msg = bob.next("msg");
        assertEquals(ok.path("msg").asText(), msg.path("msg").asText());
        assertEquals("look", msg.path("body").asText());
        assertEquals(id, msg.path("media").path("id").asText());
        assertEquals("image/png", msg.path("media").path("mime").asText());
        assertEquals(5, msg.path("media").path("size").asLong());
    }

    @Test
    void theClientLibrarySendsMediaAndReadsAMissingSizeAsAbsent() throws Exception {
        String id = http.uploaded(aliceToken, "image/png", new byte[] {1, 2, 3});
        BlockingQueue<ServerFrame.InboxItem> items = new LinkedBlockingQueue<>();
        server.register("carol");
        try (ChatClient carol = ChatClient.connect("127.0.0.1", server.port()).onItem(items::add)) {
            carol.login("carol", Wire.PASSWORD);
            // when one message carries media without a size (sent by hand), and one with it (by the library)
            alice.request("{'type':'send','id':'s2','to':'carol','body':'without','media':{'id':'" + id + "'}}", "s2");
            try (ChatClient sender = ChatClient.connect("127.0.0.1", server.port())) {
                sender.login("alice", Wire.PASSWORD); // takes over alice's session: the hand-made one is done
                sender.send("carol", "with size", new Media(id, "image/png", 3)).get(5, TimeUnit.SECONDS);
            }

            // then carol's library reads -1 where no size was given, and the size where it was
            ServerFrame.Msg without = (ServerFrame.Msg) items.poll(5, TimeUnit.SECONDS);
            ServerFrame.Msg with = (ServerFrame.Msg) items.poll(5, TimeUnit.SECONDS);
            assertEquals(-1, without.media().size());
            assertEquals(new Media(id, "image/png", 3), with.media());
        }
    }
}
