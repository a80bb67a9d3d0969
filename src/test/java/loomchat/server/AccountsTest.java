package loomchat.server;

import com.fasterxml.jackson.databind.JsonNode;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Registration, login by password and by token, and what is allowed before and after logging in. */
class AccountsTest extends ServerTest {
    @Test
    void registerAnswersOk() throws Exception {
        try (Wire w = server.connect()) {
            JsonNode r = w.request("{'type':'register','id':'1','user':'alice','password':'correct horse'}", "1");

            assertEquals("ok", r.path("type").asText());
            assertEquals("1", r.path("id").asText());
        }
    }

    @Test
    void registeringATakenNameGetsUserExists() throws Exception {
        server.register("alice");
        try (Wire w = server.connect()) {
            JsonNode r = w.request("{'type':'register','id':'2','user':'alice','password':'another one'}", "2");

            assertEquals("error", r.path("type").asText());
            assertEquals("user_exists", r.path("code").asText());
        }
    }

    @Test
    void registerWithABadNameIsInvalid() throws Exception {
        try (Wire w = server.connect()) {
            JsonNode r = w.request("{'type':'register','id':'3','user':'Alice!','password':'correct horse'}", "3");

            assertEquals("error", r.path("type").asText());
            assertEquals("invalid", r.path("code").asText());
        }
    }

    @Test
    void registerWithAShortPasswordIsInvalid() throws Exception {
        try (Wire w = server.connect()) {
            JsonNode r = w.request("{'type':'register','id':'4','user':'alice','password':'short'}", "4");

            assertEquals("invalid", r.path("code").asText());
            // and nothing was registered
            assertEquals("ok", w.request("{'type':'register','id':'5','user':'alice','password':'correct horse'}", "5")
                    .path("type").asText());
        }
    }

    @Test
    void aPasswordIsCountedInCharactersNotUtf16Units() throws Exception {
        String key = "\uD83D\uDD11"; // one character, two UTF-16 units
        try (Wire w = server.connect()) {
            // four emoji are 8 UTF-16 units but 4 characters: too short
            JsonNode shortOne =
                    w.request("{'type':'register','id':'1','user':'alice','password':'" + key.repeat(4) + "'}", "1");
            assertEquals("invalid", shortOne.path("code").asText());

            // eight are enough, and log in
            JsonNode r = w.request("{'type':'register','id':'2','user':'alice','password':'" + key.repeat(8) + "'}",
                    "2");
            assertEquals("ok", r.path("type").asText(), r.toString());
            JsonNode login = w.request("{'type':'login','id':'3','user':'alice','password':'" + key.repeat(8) + "'}",
                    "3");
            assertEquals("ok", login.path("type").asText(), login.toString());
        }
    }

    @Test
    void registerWithoutIdIsInvalid() throws Exception {
        try (Wire w = server.connect()) {
            w.send("{'type':'register','user':'alice','password':'correct horse'}");

            JsonNode r = w.next();
            assertEquals("error", r.path("type").asText());
            assertEquals("invalid", r.path("code").asText());
            assertFalse(r.has("id"));
        }
    }

    @Test
    void loginByPasswordReturnsTokenAndPending() throws Exception {
        server.register("alice");
        try (Wire w = server.connect()) {
            JsonNode r = w.request("{'type':'login','id':'l1','user':'alice','password':'correct horse'}", "l1");

            assertEquals("ok", r.path("type").asText());
            assertTrue(r.path("token").asText().length() >= 32, "a token: " + r);
            assertEquals(0, r.path("pending").asInt());
            assertTrue(r.path("pending").isIntegralNumber());
        }
    }

    @Test
    void loginByTokenWorks() throws Exception {
        server.register("alice");
        String token;
        try (Wire w = server.connect()) {
            token = w.login("alice").path("token").asText();
        }
        long hashedLogins = server.server().metrics().loginsPassword.sum();
        try (Wire w = server.connect()) {
            JsonNode r = w.loginWithToken("alice", token);

            assertEquals("ok", r.path("type").asText(), r::toString);
            assertEquals(token, r.path("token").asText());
            assertEquals(0, r.path("pending").asInt());
        }
        assertEquals(hashedLogins, server.server().metrics().loginsPassword.sum());
        assertEquals(1, server.server().metrics().loginsToken.sum());
    }

    @Test
    void aPasswordLoginPastTenTokensRevokesTheOldest() throws Exception {
        // given alice has logged in by password on ten devices (tokens_per_user is 10)
        server.register("alice");
        java.util.List<String> tokens = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            try (Wire device = server.connect()) {
                tokens.add(device.login("alice").path("token").asText());
            }
        }

        // when she logs in by password on an eleventh
        try (Wire eleventh = server.connect()) {
            tokens.add(eleventh.login("alice").path("token").asText());
        }

        // then the first device's token no longer logs in, and the second's and the newest still do
        try (Wire first = server.connect(); Wire second = server.connect(); Wire newest = server.connect()) {
            assertEquals("bad_credentials", first.loginWithToken("alice", tokens.get(0)).path("code").asText());
            assertEquals("ok", second.loginWithToken("alice", tokens.get(1)).path("type").asText());
            assertEquals("ok", newest.loginWithToken("alice", tokens.get(10)).path("type").asText());
        }
    }

    @Test
    void aTokenLogsInOnlyItsOwnUser() throws Exception {
        server.register("alice", "mallory");
        String token;
        try (Wire w = server.connect()) {
            token = w.login("alice").path("token").asText();
        }
        try (Wire w = server.connect()) {
            assertEquals("bad_credentials", w.loginWithToken("mallory", token).path("code").asText());
        }
    }

    @Test
    void badCredentialsIsTheSameForUnknownUserWrongPasswordAndBadToken() throws Exception {
        server.register("alice");
        try (Wire w = server.connect()) {
            JsonNode unknownUser = w.request("{'type':'login','id':'x','user':'nobody','password':'correct horse'}", "x");
            JsonNode wrongPassword = w.request("{'type':'login','id':'x','user':'alice','password':'wrong horse'}", "x");
            JsonNode badToken = w.request("{'type':'login','id':'x','user':'alice','token':'bm90LWEtdG9rZW4'}", "x");
            JsonNode unknownUserToken = w.request("{'type':'login','id':'x','user':'nobody','token':'bm90LWEtdG9rZW4'}", "x");

            assertEquals("bad_credentials", unknownUser.path("code").asText());
            assertEquals(unknownUser, wrongPassword);
            assertEquals(unknownUser, badToken);
            assertEquals(unknownUser, unknownUserToken);
        }
    }

    @Test
    void onlyRegisterLoginAndPingAreAcceptedBeforeLogin() throws Exception {
        server.register("bob");
        try (Wire w = server.connect()) {
            JsonNode send = w.request("{'type':'send','id':'s1','to':'bob','body':'hi'}", "s1");
            assertEquals("error", send.path("type").asText());
            assertEquals("not_authenticated", send.path("code").asText());

            JsonNode logout = w.request("{'type':'logout','id':'s2'}", "s2");
            assertEquals("not_authenticated", logout.path("code").asText());

            w.send("{'type':'ack','seq':1}");
            JsonNode ack = w.next();
            assertEquals("not_authenticated", ack.path("code").asText());
            assertFalse(ack.has("id"), "an ack has no id to echo");

            assertEquals("pong", w.request("{'type':'ping','id':'p'}", "p").path("type").asText());
        }
        // and nothing was sent to bob
        try (Wire bob = server.connect()) {
            assertEquals(0, bob.login("bob").path("pending").asInt());
        }
    }

    @Test
    void pingIsAnsweredBeforeLogin() throws Exception {
        try (Wire w = server.connect()) {
            JsonNode pong = w.request("{'type':'ping','id':'p1'}", "p1");

            assertEquals("pong", pong.path("type").asText());
        }
    }

    @Test
    void loginOnALoggedInConnectionIsAlreadyAuthenticated() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            JsonNode again = alice.request("{'type':'login','id':'l2','user':'alice','password':'correct horse'}", "l2");
            assertEquals("error", again.path("type").asText());
            assertEquals("already_authenticated", again.path("code").asText());

            JsonNode other = alice.request("{'type':'login','id':'l3','user':'bob','password':'correct horse'}", "l3");
            assertEquals("already_authenticated", other.path("code").asText());

            // still alice, still working
            assertEquals("ok", alice.request("{'type':'send','id':'c1','to':'bob','body':'hi'}", "c1").path("type").asText());
        }
    }

    @Test
    void registerOnALoggedInConnectionIsAlreadyAuthenticated() throws Exception {
        try (Wire alice = server.userOnline("alice")) {
            JsonNode r = alice.request("{'type':'register','id':'r2','user':'carol','password':'correct horse'}", "r2");

            assertEquals("already_authenticated", r.path("code").asText());
        }
        try (Wire w = server.connect()) {
            assertEquals("ok", w.request("{'type':'register','id':'r','user':'carol','password':'correct horse'}", "r")
                    .path("type").asText(), "carol was not registered");
        }
    }
}
