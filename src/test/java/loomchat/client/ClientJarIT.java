package loomchat.client;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import loomchat.testing.TestServer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client library's own jar ({@code target/loomchat-<version>-client.jar}), for a tester's
 * class path: it holds the client and the protocol only, and works with Jackson alone beside it.
 */
class ClientJarIT {

    @Test
    void holdsTheClientLibraryAndTheProtocolOnly() throws IOException {
        try (JarFile jar = new JarFile(clientJar())) {
            List<String> classes = jar.stream().map(JarEntry::getName).filter(n -> n.endsWith(".class")).toList();

            assertTrue(classes.contains("loomchat/client/ChatClient.class"), classes::toString);
            assertTrue(classes.contains("loomchat/protocol/FrameCodec.class"), classes::toString);
            assertEquals(List.of(), classes.stream()
                    .filter(n -> !n.startsWith("loomchat/client/") && !n.startsWith("loomchat/protocol/")).toList());
        }
    }

    @Test
    void registersAndLogsInWithOnlyJacksonBesideIt() throws Exception {
        // given the client jar in a class loader that sees, of this test's class path, the JDK
        // and Jackson only
        ClassLoader jdkAndJackson = new ClassLoader(ClassLoader.getPlatformClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                if (!name.startsWith("com.fasterxml.jackson.")) throw new ClassNotFoundException(name);
                return ClientJarIT.class.getClassLoader().loadClass(name);
            }
        };
        try (TestServer server = TestServer.start();
             URLClassLoader loader = new URLClassLoader(new URL[] {clientJar().toURI().toURL()}, jdkAndJackson)) {
            Class<?> chatClient = loader.loadClass("loomchat.client.ChatClient");
            assertFalse(chatClient == ChatClient.class, "loaded from the client jar, not the test's class path");

            // when a user registers and logs in through it
            Object carol = chatClient.getMethod("connect", String.class, int.class)
                    .invoke(null, "127.0.0.1", server.port());
            try (AutoCloseable closing = (AutoCloseable) carol) {
                chatClient.getMethod("register", String.class, String.class).invoke(carol, "carol", "correct horse");
                Object loggedIn = chatClient.getMethod("login", String.class, String.class)
                        .invoke(carol, "carol", "correct horse");

                // then the server's answer comes back through the jar's own codec
                String token = (String) loggedIn.getClass().getMethod("token").invoke(loggedIn);
                assertFalse(token.isEmpty());
            }
        }
    }

    private static File clientJar() {
        String path = System.getProperty("loomchat.client.jar");
        assertTrue(path != null && new File(path).isFile(), "the client jar is built by `package`: " + path);
        return new File(path);
    }
}
