package loomchat.server;

import java.io.FileInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import loomchat.client.ChatClient;
import loomchat.protocol.ServerFrame;
import loomchat.testing.TestServer;
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
    void plainTcpClientCannotTalkToATlsPort() throws Exception {
        assertThrows(Exception.class, () -> {
            try (ChatClient plain = ChatClient.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(2))) {
                plain.register("mallory", "correct horse");
            }
        });
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
