package loomchat.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** Builds the server's TLS context from a PKCS12 keystore (the JDK's own TLS: no extra library). */
public final class Tls {
    private Tls() {
    }

    /** The context for both ports, or null when no keystore is configured (plain TCP and HTTP). */
    public static SSLContext context(Path keystore, String password) throws IOException {
        if (keystore == null) return null;
        char[] pass = password.toCharArray();
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, pass);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pass);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("tls_keystore " + keystore + ": " + e.getMessage(), e);
        }
    }
}
