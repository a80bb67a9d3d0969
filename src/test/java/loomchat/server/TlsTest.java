package loomchat.server;

import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import loomchat.client.ChatClient;
import loomchat.client.MediaClient;
import loomchat.protocol.ServerFrame;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** TLS on both ports, with a key made by the JDK's keytool as the README shows. */
class TlsTest {
    static final String PASSWORD = "changeit-loomchat";
    static Path keystore;
    static TestServer server;
    static SSLContext trusting;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("loomchat-tls");
        keystore = dir.resolve("server.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "loomchat", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", PASSWORD).redirectErrorStream(true).start();
        p.getInputStream().transferTo(System.out);
        assertEquals(0, p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1, "keytool");
        server = TestServer.start(Map.of("tls_keystore", keystore.toString(), "tls_keystore_password", PASSWORD));

        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(keystore.toFile())) {
            trust.load(in, PASSWORD.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        trusting = SSLContext.getInstance("TLS");
        trusting.init(null, tmf.getTrustManagers(), null);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void chatPortSpeaksTlsToTheClientLibrary() throws Exception {
        try (ChatClient alice = ChatClient.connect("127.0.0.1", server.port(), trusting.getSocketFactory(),
                Duration.ofSeconds(5))) {
            alice.register("alice", "correct horse");
            ServerFrame.LoginOk ok = alice.login("alice", "correct horse");
            assertEquals(0, ok.pending());
        }
    }

    @Test
    void theClientLibraryRefusesACertificateThatDoesNotNameTheHost() throws Exception {
        // given a server on 127.0.0.2, whose certificate names only localhost and 127.0.0.1
        try (TestServer elsewhere = TestServer.start(Map.of("bind", "127.0.0.2",
                "tls_keystore", keystore.toString(), "tls_keystore_password", PASSWORD))) {

            // then a client trusting the certificate still refuses it for that address
            assertThrows(javax.net.ssl.SSLHandshakeException.class, () ->
                    ChatClient.connect("127.0.0.2", elsewhere.port(), trusting.getSocketFactory(), Duration.ofSeconds(5)).close());
        }
    }

    @Test
    void plainTcpClientCannotTalkToATlsPort() throws Exception {
        assertThrows(Exception.class, () -> {
            try (ChatClient plain = ChatClient.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(2))) {
                plain.register("mallory", "correct horse");
            }
        });
    }

    @Test
    void aTlsClientThatStopsReadingIsCutWithoutStoppingTheServersTimeouts() throws Exception {
        try (TestServer slow = TestServer.start(Map.of("tls_keystore", keystore.toString(),
                "tls_keystore_password", PASSWORD, "write_stall_timeout", "500ms", "login_timeout", "2s",
                "send_rate", 100000, "send_burst", 100000, "outbox_capacity", 100000, "inbox_senders_to_fill", 1))) {
            // given bob logs in over TLS and then never reads
            SSLSocket bob = (SSLSocket) trusting.getSocketFactory().createSocket();
            bob.setReceiveBufferSize(4096);
            bob.connect(new InetSocketAddress("127.0.0.1", slow.port()));
            bob.getOutputStream().write(("{\"type\":\"register\",\"id\":\"r\",\"user\":\"bob\",\"password\":\"" + Wire.PASSWORD
                    + "\"}\n{\"type\":\"login\",\"id\":\"l\",\"user\":\"bob\",\"password\":\"" + Wire.PASSWORD + "\"}\n").getBytes());
            bob.getOutputStream().flush();
            Thread.sleep(300); // let the login finish before alice floods him
            try (ChatClient alice = ChatClient.connect("127.0.0.1", slow.port(), trusting.getSocketFactory(),
                    Duration.ofSeconds(5))) {
                alice.register("alice", Wire.PASSWORD);
                alice.login("alice", Wire.PASSWORD);
                String body = "x".repeat(4000);
                List<CompletableFuture<ServerFrame.SendOk>> oks = new ArrayList<>();
                for (int i = 0; i < 2000; i++) oks.add(alice.send("bob", body)); // 8 MB, far beyond the buffers
                CompletableFuture.allOf(oks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            }

            // when the server cuts him off for not reading (his writer is stuck in a TLS write)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (slow.server().metrics().slowClientsCut.sum() == 0 && System.nanoTime() < deadline) Thread.sleep(50);
            assertEquals(1, slow.server().metrics().slowClientsCut.sum(), "a client that does not read is cut off");

            // then his connection ends, and the once-a-second sweep still closes a connection that never logs in
            while (slow.server().connectionCount() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
            assertEquals(0, slow.server().connectionCount(), "the cut connection ended");
            try (SSLSocket silent = (SSLSocket) trusting.getSocketFactory().createSocket("127.0.0.1", slow.port())) {
                silent.setSoTimeout(10_000);
                InputStream in = silent.getInputStream();
                while (in.read() >= 0) {
                    // the welcome, then nothing until the login timeout closes it
                }
            }
            bob.close();
        }
    }

    @Test
    void theMediaClientUploadsAndDownloadsOverHttpsWithItsOwnTrust() throws Exception {
        String token;
        try (ChatClient alice = ChatClient.connect("127.0.0.1", server.port(), trusting.getSocketFactory(),
                Duration.ofSeconds(5))) {
            alice.register("media-alice", "correct horse");
            token = alice.login("media-alice", "correct horse").token();
        }
        Path dir = Files.createTempDirectory("loomchat-tls-media");
        Path photo = Files.write(dir.resolve("photo.jpg"), new byte[]{1, 2, 3, 4, 5});

        try (MediaClient media = new MediaClient(URI.create("https://127.0.0.1:" + server.httpPort()), token,
                trusting, Duration.ofSeconds(10))) {
            MediaClient.Uploaded up = media.upload(photo, "image/jpeg");
            MediaClient.Downloaded down = media.download(up.id(), dir.resolve("copy.jpg"));

            assertEquals(5, down.size());
            assertEquals("image/jpeg", down.mime());
        }
    }

    @Test
    void httpPortSpeaksHttps() throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(trusting).build();
        HttpResponse<String> health = http.send(
                HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.httpPort() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
    }
}
