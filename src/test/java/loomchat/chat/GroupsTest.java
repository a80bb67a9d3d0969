package loomchat.chat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import loomchat.testing.ServerTest;
import loomchat.testing.TestServer;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Group membership over real sockets: create, add, remove, leave, info, groups, and their errors. */
class GroupsTest extends ServerTest {
    @Override
    protected Map<String, ?> settings() {
        return Map.of("max_group_size", 4, "max_groups_per_user", 3);
    }

    @Test
    void creatorIsMemberAndAdmin() throws Exception {
        server.register("bob", "carol");
        try (Wire alice = server.userOnline("alice")) {
            JsonNode ok = alice.request("{'type':'group_create','id':'1','name':'climbing','members':['bob','carol']}", "1");

            assertEquals("ok", ok.path("type").asText(), ok::toString);
            String group = ok.path("group").asText();
            assertTrue(group.matches("g-[A-Za-z0-9_-]{12}"), group);
            JsonNode info = alice.request("{'type':'group_info','id':'2','group':'" + group + "'}", "2");
            assertEquals("climbing", info.path("name").asText());
            assertEquals(List.of("alice", "bob", "carol"), names(info.path("members")));
            assertEquals(List.of("alice"), names(info.path("admins")));
        }
    }

    @Test
    void createdEventReachesTheMembers() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            String group = create(alice, "climbing", "bob");

            JsonNode event = bob.next("group");
            assertEquals(group, event.path("group").asText());
            assertEquals("created", event.path("event").asText());
            assertEquals("alice", event.path("by").asText());
            assertEquals(List.of("bob"), names(event.path("users")));
            assertTrue(event.path("seq").asLong() > 0);
        }
    }

    @Test
    void createWithUnknownMemberIsNoSuchUser() throws Exception {
        try (Wire alice = server.userOnline("alice")) {
            JsonNode r = alice.request("{'type':'group_create','id':'1','name':'x','members':['nobody']}", "1");
            assertEquals("no_such_user", r.path("code").asText(), r::toString);
        }
    }

    @Test
    void createPastMaxGroupSizeIsGroupFull() throws Exception {
        server.register("b", "c", "d", "e");
        try (Wire alice = server.userOnline("alice")) {
            JsonNode r = alice.request("{'type':'group_create','id':'1','name':'x','members':['b','c','d','e']}", "1");
            assertEquals("group_full", r.path("code").asText(), r::toString);
        }
    }

    @Test
    void creatingAGroupPastTheMostAUserMayBeInIsInvalid() throws Exception {
        // given alice is in three groups, the most one user may be in here
        try (Wire alice = server.userOnline("alice")) {
            for (String name : List.of("one", "two", "three")) create(alice, name);

            // when she creates a fourth
            JsonNode r = alice.request("{'type':'group_create','id':'4','name':'four','members':[]}", "4");

            // then it is refused, and her groups are the three
            assertEquals("invalid", r.path("code").asText(), r::toString);
            assertEquals(3, alice.request("{'type':'groups','id':'5'}", "5").path("groups").size());
        }
    }

    @Test
    void addingAUserWhoIsInTheMostGroupsIsInvalid() throws Exception {
        // given bob is in three groups, the most one user may be in here
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            for (String name : List.of("one", "two", "three")) create(bob, name);
            String climbing = create(alice, "climbing");

            // when alice adds him to a fourth
            JsonNode r = alice.request("{'type':'group_add','id':'a','group':'" + climbing + "','users':['bob']}", "a");

            // then it is refused, naming him, and he is not in it
            assertEquals("invalid", r.path("code").asText(), r::toString);
            assertTrue(r.path("message").asText().contains("bob"), r::toString);
            JsonNode info = alice.request("{'type':'group_info','id':'i','group':'" + climbing + "'}", "i");
            assertEquals(List.of("alice"), names(info.path("members")));
        }
    }

    @Test
    void adminAddsMembersAndEveryMemberIsTold() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire carol = server.userOnline("carol");
             Wire alice = server.userOnline("alice")) {
            String group = create(alice, "climbing", "bob");
            bob.next("group");

            JsonNode ok = alice.request("{'type':'group_add','id':'2','group':'" + group + "','users':['carol']}", "2");

            assertEquals("ok", ok.path("type").asText(), ok::toString);
            for (Wire w : List.of(bob, carol)) {
                JsonNode event = w.next("group");
                assertEquals("added", event.path("event").asText());
                assertEquals("alice", event.path("by").asText());
                assertEquals(List.of("carol"), names(event.path("users")));
            }
        }
    }

    @Test
    void groupRequestsSentWithoutWaitingTakeEffectInTheOrderSent() throws Exception {
        try (Wire alice = server.userOnline("alice"); Wire carol = server.userOnline("carol")) {
            server.register("bob");
            String g = create(alice, "team", "bob");

            // when alice adds carol, sends to the group and asks for it, without waiting between
            alice.send("{'type':'group_add','id':'a1','group':'" + g + "','users':['carol']}")
                    .send("{'type':'send','id':'s1','group':'" + g + "','body':'welcome carol'}")
                    .send("{'type':'group_info','id':'i1','group':'" + g + "'}");

            // then each saw the one before it: carol gets the message, and the info lists her
            java.util.Map<String, JsonNode> replies = alice.replies("a1", "s1", "i1");
            assertEquals("ok", replies.get("a1").path("type").asText());
            assertEquals("ok", replies.get("s1").path("type").asText());
            assertEquals("welcome carol", carol.next("msg").path("body").asText());
            assertTrue(replies.get("i1").path("members").toString().contains("carol"), replies.get("i1")::toString);
        }
    }

    @Test
    void addingSomeoneAlreadyInChangesNothing() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            String group = create(alice, "climbing", "bob");
            JsonNode ok = alice.request("{'type':'group_add','id':'2','group':'" + group + "','users':['bob']}", "2");
            assertEquals("ok", ok.path("type").asText(), ok::toString);
            assertEquals(List.of("alice", "bob"), members(alice, group));
        }
    }

    @Test
    void membershipChangesTakeFromTheSendRate() throws Exception {
        // given alice may make 3 sends' worth in a burst, and no more for a while
        try (TestServer limited = TestServer.start(Map.of("send_rate", 1, "send_burst", 3));
             Wire alice = limited.userOnline("alice")) {
            limited.register("bob", "carol");
            // when she creates a group, adds carol and removes her again (a token each)
            String group = create(alice, "crag", "bob");
            assertEquals("ok", alice.request("{'type':'group_add','id':'a1','group':'" + group + "','users':['carol']}", "a1")
                    .path("type").asText());
            assertEquals("ok", alice.request("{'type':'group_remove','id':'r1','group':'" + group + "','users':['carol']}", "r1")
                    .path("type").asText());

            // then adding her once more is refused for the rate, and changes nothing
            JsonNode again = alice.request("{'type':'group_add','id':'a2','group':'" + group + "','users':['carol']}", "a2");
            assertEquals("rate_limited", again.path("code").asText(), again::toString);
            JsonNode info = alice.request("{'type':'group_info','id':'i','group':'" + group + "'}", "i");
            assertEquals(List.of("alice", "bob"), names(info.path("members")));
        }
    }

    @Test
    void onlyAdminsAddOrRemove() throws Exception {
        server.register("carol");
        try (Wire bob = server.userOnline("bob"); Wire alice = server.userOnline("alice")) {
            String group = create(alice, "climbing", "bob");

            JsonNode add = bob.request("{'type':'group_add','id':'2','group':'" + group + "','users':['carol']}", "2");
            JsonNode remove = bob.request("{'type':'group_remove','id':'3','group':'" + group + "','users':['alice']}", "3");

            assertEquals("not_admin", add.path("code").asText(), add::toString);
            assertEquals("not_admin", remove.path("code").asText(), remove::toString);
        }
    }

    @Test
    void nonMembersGetNotMember() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice"); Wire eve = server.userOnline("eve")) {
            String group = create(alice, "climbing", "bob");
            String g = "'group':'" + group + "'";

            assertEquals("not_member", eve.request("{'type':'group_info','id':'1'," + g + "}", "1").path("code").asText());
            assertEquals("not_member", eve.request("{'type':'group_add','id':'2'," + g + ",'users':['eve']}", "2").path("code").asText());
            assertEquals("not_member", eve.request("{'type':'group_remove','id':'3'," + g + ",'users':['bob']}", "3").path("code").asText());
            assertEquals("not_member", eve.request("{'type':'group_leave','id':'4'," + g + "}", "4").path("code").asText());
            assertEquals("not_member", eve.request("{'type':'send','id':'5'," + g + ",'body':'hi'}", "5").path("code").asText());
        }
    }

    @Test
    void unknownGroupIsNoSuchGroup() throws Exception {
        try (Wire alice = server.userOnline("alice")) {
            String g = "'group':'g-AAAAAAAAAAAA'";
            assertEquals("no_such_group", alice.request("{'type':'group_info','id':'1'," + g + "}", "1").path("code").asText());
            assertEquals("no_such_group", alice.request("{'type':'group_add','id':'2'," + g + ",'users':['alice']}", "2").path("code").asText());
            assertEquals("no_such_group", alice.request("{'type':'group_remove','id':'3'," + g + ",'users':['alice']}", "3").path("code").asText());
            assertEquals("no_such_group", alice.request("{'type':'group_leave','id':'4'," + g + "}", "4").path("code").asText());
            assertEquals("no_such_group", alice.request("{'type':'send','id':'5'," + g + ",'body':'hi'}", "5").path("code").asText());
        }
    }

    @Test
    void addPastMaxGroupSizeIsGroupFull() throws Exception {
        server.register("b", "c", "d", "e");
        try (Wire alice = server.userOnline("alice")) {
            String group = create(alice, "x", "b", "c");
            JsonNode r = alice.request("{'type':'group_add','id':'2','group':'" + group + "','users':['d','e']}", "2");
            assertEquals("group_full", r.path("code").asText(), r::toString);
            assertEquals(List.of("alice", "b", "c"), members(alice, group));
        }
    }

    @Test
    void addingAnUnknownUserIsNoSuchUser() throws Exception {
        try (Wire alice = server.userOnline("alice")) {
            String group = create(alice, "x");
            JsonNode r = alice.request("{'type':'group_add','id':'2','group':'" + group + "','users':['nobody']}", "2");
            assertEquals("no_such_user", r.path("code").asText(), r::toString);
        }
    }

    @Test
    void removedUserAndRemainingMembersAreTold() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire carol = server.userOnline("carol");
             Wire alice = server.userOnline("alice")) {
            String group = create(alice, "x", "bob", "carol");
            bob.next("group");
            carol.next("group");

            JsonNode ok = alice.request("{'type':'group_remove','id':'2','group':'" + group + "','users':['bob']}", "2");

            assertEquals("ok", ok.path("type").asText(), ok::toString);
            for (Wire w : List.of(bob, carol)) {
                JsonNode event = w.next("group");
                assertEquals("removed", event.path("event").asText());
                assertEquals(List.of("bob"), names(event.path("users")));
            }
            assertEquals(List.of("alice", "carol"), members(alice, group));
            assertEquals("not_member", bob.request("{'type':'group_info','id':'3','group':'" + group + "'}", "3")
                    .path("code").asText());
        }
    }

    @Test
    void lastAdminLeavingMakesTheLongestStandingMemberAdmin() throws Exception {
        try (Wire bob = server.userOnline("bob"); Wire carol = server.userOnline("carol");
             Wire alice = server.userOnline("alice")) {
            String group = create(alice, "x", "bob", "carol");
            carol.next("group");

            JsonNode ok = alice.request("{'type':'group_leave','id':'2','group':'" + group + "'}", "2");

            assertEquals("ok", ok.path("type").asText(), ok::toString);
            JsonNode event = carol.next("group");
            assertEquals("left", event.path("event").asText());
            assertEquals("alice", event.path("by").asText());
            assertEquals(List.of("alice"), names(event.path("users")));
            JsonNode info = carol.request("{'type':'group_info','id':'3','group':'" + group + "'}", "3");
            assertEquals(List.of("bob", "carol"), names(info.path("members")));
            assertEquals(List.of("bob"), names(info.path("admins")));
            JsonNode add = bob.request("{'type':'group_add','id':'4','group':'" + group + "','users':['alice']}", "4");
            assertEquals("ok", add.path("type").asText(), add::toString);
        }
    }

    @Test
    void groupIsGoneWhenItsLastMemberLeaves() throws Exception {
        try (Wire alice = server.userOnline("alice")) {
            String group = create(alice, "solo");
            alice.request("{'type':'group_leave','id':'2','group':'" + group + "'}", "2");

            JsonNode r = alice.request("{'type':'group_info','id':'3','group':'" + group + "'}", "3");
            assertEquals("no_such_group", r.path("code").asText(), r::toString);
        }
    }

    @Test
    void groupsListsTheCallersGroups() throws Exception {
        server.register("bob");
        try (Wire alice = server.userOnline("alice")) {
            String one = create(alice, "one", "bob");
            String two = create(alice, "two");
            alice.request("{'type':'group_leave','id':'2','group':'" + two + "'}", "2");
            String three = create(alice, "three");

            JsonNode r = alice.request("{'type':'groups','id':'3'}", "3");

            List<String> listed = new ArrayList<>();
            for (JsonNode g : r.path("groups")) listed.add(g.path("group").asText() + "=" + g.path("name").asText());
            assertEquals(List.of(one + "=one", three + "=three"), listed);
        }
    }

    @Test
    void groupsAndMembershipsSurviveARestart() throws Exception {
        server.register("bob", "carol");
        String group;
        try (Wire alice = server.userOnline("alice")) {
            group = create(alice, "climbing", "bob", "carol");
            alice.request("{'type':'group_remove','id':'2','group':'" + group + "','users':['bob']}", "2");
            alice.request("{'type':'group_add','id':'3','group':'" + group + "','users':['bob']}", "3");
            alice.request("{'type':'group_leave','id':'4','group':'" + group + "'}", "4");
        }

        server.restart();

        try (Wire carol = server.connect()) {
            carol.login("carol");
            JsonNode info = carol.request("{'type':'group_info','id':'5','group':'" + group + "'}", "5");
            assertEquals("climbing", info.path("name").asText());
            assertEquals(List.of("carol", "bob"), names(info.path("members")), "join order kept");
            assertEquals(List.of("carol"), names(info.path("admins")), "the promotion kept");
            JsonNode groups = carol.request("{'type':'groups','id':'6'}", "6");
            assertEquals(group, groups.path("groups").path(0).path("group").asText());
        }
    }

    /** Creates a group and returns its id. */
    static String create(Wire w, String name, String... members) throws Exception {
        StringBuilder list = new StringBuilder();
        for (String m : members) list.append(list.isEmpty() ? "" : ",").append('\'').append(m).append('\'');
        JsonNode ok = w.request("{'type':'group_create','id':'c-" + name + "','name':'" + name + "','members':["
                + list + "]}", "c-" + name);
        assertEquals("ok", ok.path("type").asText(), ok::toString);
        return ok.path("group").asText();
    }

    static List<String> members(Wire w, String group) throws Exception {
        return names(w.request("{'type':'group_info','id':'m','group':'" + group + "'}", "m").path("members"));
    }

    static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) out.add(n.asText());
        return out;
    }
}
