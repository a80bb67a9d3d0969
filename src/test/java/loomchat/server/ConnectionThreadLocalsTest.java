package loomchat.server;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection's virtual thread lives as long as the connection, so whatever is kept per thread
 * is kept per connection: at a million connections, a thread-local map each (about 200 bytes
 * with one entry) is a quarter of a gigabyte. The JDK's provider lookups and HikariCP both keep
 * such caches on the thread that calls them; the server must not call them from there.
 */
class ConnectionThreadLocalsTest {
    private static final int USERS = 20;
    private static final Pattern MAPS = Pattern.compile(
            "^\\s*\\d+:\\s+(\\d+)\\s+\\d+\\s+java\\.lang\\.ThreadLocal\\$ThreadLocalMap\\s", Pattern.MULTILINE);

    @Test
    void loggedInConnectionsCarryNoThreadLocals() throws Exception {
        try (TestServer server = TestServer.start()) {
            // given: users with tokens, and a server that has just started (no token in its cache)
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < 2 * USERS; i++) {
                try (Wire w = server.connect()) {
                    w.register("user" + i);
                    tokens.add(w.login("user" + i).path("token").asText());
                }
            }
            server.restart();
            // Every path once, so that the server's own threads (hashing, database) exist before counting.
            for (int i = 0; i < 2; i++) {
                try (Wire w = server.connect()) {
                    if (i == 0) w.login("user0");
                    else w.loginWithToken("user0", tokens.get(0));
                    w.sendMessage("warm" + i, "user1", "hello");
                    w.request("{'type':'group_create','id':'g','name':'warm','members':['user1']}", "g");
                }
            }
            long before = threadLocalMaps();

            // when: half log in by password, half by token, each sends a message, creates a group, and all stay connected
            List<Wire> online = new ArrayList<>();
            for (int i = 1; i < 2 * USERS; i++) {
                Wire w = server.connect();
                if (i % 2 == 0) w.login("user" + i);
                else w.loginWithToken("user" + i, tokens.get(i));
                w.sendMessage("m" + i, "user0", "hello");
                w.send("{'type':'group_create','id':'g','name':'g" + i + "','members':['user0']}");
                online.add(w);
            }
            for (Wire w : online) w.reply("g"); // each waits out ack_grace for the creator's own group item
            long after = threadLocalMaps();

            // then: not one thread-local map per connection (a few belong to the server's own threads)
            assertTrue(after - before < online.size() / 4,
                    (after - before) + " thread-local maps more with " + online.size() + " connections logged in");
            for (Wire w : online) w.close();
        }
    }

    /** Live thread-local maps in this JVM, counted by the class histogram (which collects first). */
    private static long threadLocalMaps() throws Exception {
        String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        Matcher m = MAPS.matcher(histogram);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
