package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import loomchat.testing.Await;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Limits that keep one client from hurting the others: connection cap, send rate, login guessing, slow readers. */
class AbuseTest {

    @Test
    void connectionPastMaxConnectionsIsToldOverloadedAndTheOthersKeepWorking() throws Exception {
        try (TestServer server = TestServer.start(Map.of("max_connections", 3))) {
            List<Wire> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) held.add(server.connect());
            // when a fourth connects
            try (Socket extra = new Socket("127.0.0.1", server.port())) {
                extra.setSoTimeout(5000);
                String line = new String(extra.getInputStream().readAllBytes()).trim();
                // then it is refused with overloaded and closed
                assertTrue(line.contains("\"code\":\"overloaded\""), line);
            }
            // and the held ones still answer
            JsonNode pong = held.get(0).request("{'type':'ping','id':'p'}", "p");
            assertEquals("pong", pong.path("type").asText());
            // and a slot freed is usable again
            held.remove(0).close();
            try (Wire again = connectWhenFree(server)) {
                assertEquals("pong", again.request("{'type':'ping','id':'p'}", "p").path("type").asText());
            }
            for (Wire w : held) w.close();
        }
    }

    @Test
    void connectionsNotLoggedInAreCappedPerAddressAndALoginFreesItsPlace() throws Exception {
        try (TestServer server = TestServer.start(Map.of("anonymous_per_address", 2));
             Wire first = server.connect(); Wire second = server.connect()) {
            // given two connections from 127.0.0.1 that have not logged in
            first.register("bob");

            // when a third comes from the same address
            // then it is refused with rate_limited and closed
            assertTrue(firstLine(server, "127.0.0.1").contains("\"code\":\"rate_limited\""));
            // while another address still gets in
            assertTrue(firstLine(server, "127.0.0.2").contains("\"type\":\"welcome\""));

            // and once one of the two logs in, its place is free for a newcomer
            first.login("bob");
            assertTrue(firstLine(server, "127.0.0.1").contains("\"type\":\"welcome\""));
        }
    }

    /** The first line the server sends to a connection from {@code local}. */
    private static String firstLine(TestServer server, String local) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port(), java.net.InetAddress.getByName(local), 0)) {
            s.setSoTimeout(5000);
            return new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream())).readLine();
        }
    }

    private static Wire connectWhenFree(TestServer server) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            try {
                return server.connect(); // asserts the first frame is a welcome
            } catch (AssertionError | IOException e) {
                if (System.nanoTime() > deadline) throw e;
                Thread.sleep(50); // the server releases the slot when the old connection's thread ends
            }
        }
    }

    @Test
    void sendingFasterThanTheRateLimitGetsRateLimitedAndNothingIsDroppedSilently() throws Exception {
        try (TestServer server = TestServer.start(Map.of("send_rate", 1, "send_burst", 3));
             Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            // when alice sends 6 messages at once with a burst of 3
            for (int i = 1; i <= 6; i++) alice.send("{'type':'send','id':'s" + i + "','to':'bob','body':'" + i + "'}");
            int ok = 0;
            int limited = 0;
            for (int i = 1; i <= 6; i++) { // replies come in the order they are ready: refusals first
                JsonNode r = alice.next();
                if (r.path("type").asText().equals("ok")) ok++;
                else if (r.path("code").asText().equals("rate_limited")) limited++;
            }
            // then every send is answered, 3 accepted and the rest refused as rate_limited
            assertEquals(3, ok);
            assertEquals(3, limited);
            // and bob gets exactly the accepted ones
            for (int i = 0; i < 3; i++) assertEquals("msg", bob.next("msg").path("type").asText());
        }
    }

    @Test
    void aRetryOfAnAcceptedSendGetsItsFirstAnswerEvenWhenTheRateIsUsedUp() throws Exception {
        try (TestServer server = TestServer.start(Map.of("send_rate", 1, "send_burst", 2));
             Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            // given alice has used up her burst
            alice.send("{'type':'send','id':'s1','to':'bob','body':'1'}")
                    .send("{'type':'send','id':'s2','to':'bob','body':'2'}")
                    .send("{'type':'send','id':'s3','to':'bob','body':'3'}");
            bob.ack(bob.next("msg").path("seq").asLong()).ack(bob.next("msg").path("seq").asLong());
            Map<String, JsonNode> replies = alice.replies("s1", "s2", "s3");
            JsonNode first = replies.get("s1");
            assertEquals("ok", first.path("type").asText());
            assertEquals("ok", replies.get("s2").path("type").asText());
            assertEquals("rate_limited", replies.get("s3").path("code").asText());

            // when she retries the first send at once
            JsonNode retry = alice.request("{'type':'send','id':'s1','to':'bob','body':'1'}", "s1");

            // then it is answered as the first time, and bob gets nothing more
            assertEquals("ok", retry.path("type").asText(), retry::toString);
            assertEquals(first.path("msg").asText(), retry.path("msg").asText());
            assertEquals(first.path("ts").asLong(), retry.path("ts").asLong());
            bob.expectSilence(Duration.ofMillis(300));
        }
    }

    @Test
    void repeatedFailedLoginsForOneUserAreRateLimited() throws Exception {
        try (TestServer server = TestServer.start(Map.of("login_failures_per_user", 3));
             Wire w = server.connect()) {
            w.register("alice");
            for (int i = 0; i < 3; i++) {
                JsonNode r = w.request("{'type':'login','id':'x','user':'alice','password':'wrong password'}", "x");
                assertEquals("bad_credentials", r.path("code").asText());
            }
            // then even the right password is refused for a while
            JsonNode r = w.request("{'type':'login','id':'y','user':'alice','password':'" + Wire.PASSWORD + "'}", "y");
            assertEquals("rate_limited", r.path("code").asText());
        }
    }

    @Test
    void aGoodPasswordLoginDoesNotWipeTheFailuresCountedBeforeIt() throws Exception {
        try (TestServer server = TestServer.start(Map.of("login_failures_per_user", 3));
             Wire guesser = server.connect()) {
            // given two wrong guesses at alice's password, then her own login
            guesser.register("alice");
            for (int i = 0; i < 2; i++) {
                JsonNode r = guesser.request(
                        "{'type':'login','id':'x','user':'alice','password':'wrong password'}", "x");
                assertEquals("bad_credentials", r.path("code").asText());
            }
            try (Wire alice = server.connect()) {
                alice.login("alice");
            }
            // when the guesser goes on
            JsonNode third = guesser.request("{'type':'login','id':'y','user':'alice','password':'wrong again'}", "y");

            // then only the one guess left in the window is checked: her login took back only its own attempt
            assertEquals("bad_credentials", third.path("code").asText());
            JsonNode fourth = guesser.request(
                    "{'type':'login','id':'z','user':'alice','password':'" + Wire.PASSWORD + "'}", "z");
            assertEquals("rate_limited", fourth.path("code").asText());
        }
    }

    @Test
    void guessesAtOneNameSentAllAtOnceAreCountedBeforeTheirHashes() throws Exception {
        // given hashing slow enough for guesses to queue for it, and 3 failures allowed per name
        try (TestServer server = TestServer.start(Map.of("login_failures_per_user", 3,
                "password_iterations", 200_000, "hash_concurrency", 1))) {
            server.register("alice");
            // when twelve connections guess at once
            List<Wire> guessers = new ArrayList<>();
            for (int i = 0; i < 12; i++) guessers.add(server.connect());
            for (Wire g : guessers) g.send("{'type':'login','id':'x','user':'alice','password':'wrong password'}");

            // then only three are checked; the others are refused unhashed
            int checked = 0;
            for (Wire g : guessers) {
                String code = g.reply("x").path("code").asText();
                if (code.equals("bad_credentials")) checked++;
                else assertEquals("rate_limited", code);
                g.close();
            }
            assertEquals(3, checked);
        }
    }

    @Test
    void failedPasswordLoginsForAUserDoNotBlockThatUsersTokenLogin() throws Exception {
        try (TestServer server = TestServer.start(Map.of("login_failures_per_user", 3));
             Wire phone = server.connect(); Wire guesser = server.connect()) {
            phone.register("alice");
            String token = phone.login("alice").path("token").asText();
            phone.close();
            // given someone has guessed alice's password until her name is blocked
            for (int i = 0; i < 3; i++) {
                JsonNode r = guesser.request("{'type':'login','id':'x','user':'alice','password':'wrong password'}", "x");
                assertEquals("bad_credentials", r.path("code").asText());
            }

            // when her phone comes back with its token
            try (Wire back = server.connect()) {
                JsonNode r = back.loginWithToken("alice", token);

                // then it is let in
                assertEquals("ok", r.path("type").asText(), r::toString);
            }
        }
    }

    @Test
    void repeatedBadTokensFromOneAddressAreRateLimited() throws Exception {
        try (TestServer server = TestServer.start(Map.of("login_failures_per_address", 4));
             Wire w = server.connect()) {
            w.register("alice");
            for (int i = 0; i < 4; i++) {
                assertEquals("bad_credentials", w.loginWithToken("alice", "not-a-token-" + i).path("code").asText());
            }

            JsonNode r = w.loginWithToken("alice", "not-a-token-either");

            assertEquals("rate_limited", r.path("code").asText());
        }
    }

    @Test
    void repeatedFailedLoginsFromOneAddressAreRateLimitedAcrossUserNames() throws Exception {
        try (TestServer server = TestServer.start(Map.of("login_failures_per_address", 4));
             Wire w = server.connect()) {
            for (int i = 0; i < 4; i++) {
                JsonNode r = w.request("{'type':'login','id':'x','user':'nobody" + i + "','password':'wrong password'}", "x");
                assertEquals("bad_credentials", r.path("code").asText());
            }
            JsonNode r = w.request("{'type':'login','id':'y','user':'someone','password':'wrong password'}", "y");
            assertEquals("rate_limited", r.path("code").asText());
        }
    }

    @Test
    void manyRegistrationsFromOneAddressAreRateLimited() throws Exception {
        // given a server that lets one address try two registrations per window
        try (TestServer server = TestServer.start(Map.of("registrations_per_address", 2));
             Wire w = server.connect()) {
            w.register("alice");
            w.register("bob");

            // when the same address registers a third name
            JsonNode r = w.request(register("r3", "carol"), "r3");

            // then it is refused before any hashing, and the name stays free
            assertEquals("rate_limited", r.path("code").asText(), r::toString);
            try (Wire elsewhere = server.connect()) {
                assertEquals("bad_credentials", elsewhere.request(
                        "{'type':'login','id':'l','user':'carol','password':'" + Wire.PASSWORD + "'}", "l")
                        .path("code").asText());
            }
        }
    }

    @Test
    void registrationsSentAllAtOnceAreCountedBeforeTheirHashes() throws Exception {
        // given an address may make two accounts, and hashing slow enough for them to queue
        try (TestServer server = TestServer.start(Map.of("registrations_per_address", 2,
                "password_iterations", 200_000, "hash_concurrency", 1))) {
            // when six connections register six names at once
            List<Wire> clients = new ArrayList<>();
            for (int i = 0; i < 6; i++) clients.add(server.connect());
            for (int i = 0; i < 6; i++) clients.get(i).send(register("r", "user" + i));

            // then two accounts are made, and four refused unhashed
            int made = 0;
            for (Wire c : clients) {
                JsonNode r = c.reply("r");
                if (r.path("type").asText().equals("ok")) made++;
                else assertEquals("rate_limited", r.path("code").asText(), r::toString);
                c.close();
            }
            assertEquals(2, made);
        }
    }

    @Test
    void aTakenNameDoesNotUseUpTheAddressesRegistrations() throws Exception {
        // given a server that lets one address try two registrations per window, one used
        try (TestServer server = TestServer.start(Map.of("registrations_per_address", 2));
             Wire w = server.connect()) {
            w.register("alice");

            // when the address tries a taken name again and again
            for (int i = 0; i < 3; i++) {
                JsonNode r = w.request(register("r", "alice"), "r");
                assertEquals("user_exists", r.path("code").asText(), r::toString);
            }

            // then it may still register its second name: a taken name costs no hash
            JsonNode r = w.request(register("r2", "bob"), "r2");
            assertEquals("ok", r.path("type").asText(), r::toString);
        }
    }

    @Test
    void clientThatStopsReadingIsCutOffAndGetsEverythingAfterReconnecting() throws Exception {
        try (TestServer server = TestServer.start(Map.of("write_stall_timeout", "500ms", "send_rate", 100000,
                "send_burst", 100000, "outbox_capacity", 100000, "inbox_senders_to_fill", 1))) {
            // given bob logs in and then never reads
            Wire bob = Wire.connectSlowReader(server.port());
            bob.register("bob");
            bob.login("bob");
            String body = "x".repeat(4000);
            int sent = 2000; // 8 MB: far more than the socket buffers on both sides hold
            try (Wire alice = server.userOnline("alice")) {
                for (int i = 0; i < sent; i++) alice.send("{'type':'send','id':'s" + i + "','to':'bob','body':'" + body + "'}");
                for (int i = 0; i < sent; i++) assertEquals("ok", alice.reply("s" + i).path("type").asText());
            }
            // then the server cuts him off (while he still reads nothing)
            Await.until(() -> server.server().metrics().slowClientsCut.sum() > 0, "a client that does not read is cut off");
            assertEquals(1, server.server().metrics().slowClientsCut.sum());
            // and has closed its side: no connection is left open though bob never closed his socket
            // (draining bob's socket to see the close would take long: a zero TCP window backs off)
            Await.until(() -> server.server().connectionCount() == 0, "the server closed its side");
            bob.close();
            // and after reconnecting he receives every message
            try (Wire again = server.connect()) {
                JsonNode login = again.login("bob");
                assertEquals(sent, login.path("pending").asInt());
                for (int i = 0; i < sent; i++) assertEquals(body, again.next("msg").path("body").asText());
            }
        }
    }

    private static String register(String id, String user) {
        return "{'type':'register','id':'" + id + "','user':'" + user + "','password':'" + Wire.PASSWORD + "'}";
    }
}
