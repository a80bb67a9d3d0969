package loomchat.chat;

import java.security.SecureRandom;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import loomchat.db.GroupRecords;
import loomchat.protocol.ClientFrame;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;
import loomchat.protocol.ServerFrame.GroupEvent;
import loomchat.protocol.ServerFrame.GroupEventKind;
import loomchat.store.ChatStore;
import loomchat.store.Group;
import loomchat.store.GroupTable;

/**
 * Group membership: {@code group_create}, {@code group_add}, {@code group_remove},
 * {@code group_leave}, and the questions {@code group_info} and {@code groups}.
 *
 * <p>A change is checked against the group as it is, given room in the commit queue for its
 * events, written to the database in its own transaction, then made visible in memory and
 * announced as a {@code group} inbox item to every member and every affected user, those two
 * under the group's membership write lock: a group message is fanned out under its read lock,
 * so every inbox has a member's messages of the group between their joining and their leaving
 * event. The {@code ok} waits until those items are durable, so an answered change is never
 * half announced after a crash. Changes of one group run one at a time under its change lock
 * (see {@link GroupTable}), which is held across the wait for room and the database write;
 * the membership lock is never held across either.
 *
 * <p>The rules: the creator is a member and the first admin; only admins add and remove
 * (removing oneself included); any member may leave; when the last admin goes, the
 * longest-standing member left becomes admin ({@link Group#without}); when the last member
 * goes, the group is deleted. Adding a member already in, or removing a user not in, changes
 * nothing and is not an error, so a retried request is harmless.
 *
 * <p>A user is in at most {@code max_groups_per_user} groups: that bounds the {@code groups}
 * reply, and the groups one account can make the server keep. It is checked, not reserved, so
 * changes of different groups racing for a user's last place may pass it by a few.
 */
public final class Groups {
    private static final System.Logger LOG = System.getLogger(Groups.class.getName());
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final int ID_BYTES = 9; // 12 characters after "g-"

    private final GroupTable table;
    private final ChatStore store;
    private final GroupRecords records;
    private final int maxSize;
    private final int maxPerUser;
    private final double sendRate;
    private final int sendBurst;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param maxSize members one group may have
     * @param maxPerUser groups one user may be in
     * @param sendRate {@code send_rate}, and {@code sendBurst} {@code send_burst}: what a
     *                 membership change is charged, since its event goes to every member
     */
    public Groups(GroupTable table, ChatStore store, GroupRecords records, int maxSize, int maxPerUser,
                  double sendRate, int sendBurst) {
        this.table = table;
        this.store = store;
        this.records = records;
        this.maxSize = maxSize;
        this.maxPerUser = maxPerUser;
        this.sendRate = sendRate;
        this.sendBurst = sendBurst;
    }

    /** Creates a group of the creator and {@code members}; the reply names the new group. */
    public CompletableFuture<ServerFrame.Reply> create(String creator, ClientFrame.GroupCreate req)
            throws ProtocolException {
        Set<String> members = new LinkedHashSet<>();
        members.add(creator);
        members.addAll(req.members());
        if (members.size() > maxSize) throw full(req.id(), members.size());
        requireUsers(req.id(), members);
        requireRoomFor(req.id(), members);
        List<String> invitedNames = new ArrayList<>(members);
        invitedNames.remove(creator);
        charge(creator, req.id(), members.size(), invitedNames);
        String id = "g-" + newId();
        Group group = new Group(id, req.name(), members, Set.of(creator));
        boolean reserved = store.reserveRoom(members, Router.ROOM_WAIT_NANOS);
        try {
            records.create(group, System.currentTimeMillis());
        } catch (SQLException e) {
            if (reserved) store.releaseRoom(members);
            throw Authenticator.internal(req.id(), e);
        }
        CompletableFuture<Void> told;
        ReentrantReadWriteLock.WriteLock membership = table.addLocked(group);
        try {
            for (String m : members) store.joinedGroup(m, id);
            told = announce(group.members(), reserved, id, GroupEventKind.CREATED, creator, invitedNames);
        } finally {
            membership.unlock();
        }
        return told.thenApply(done -> new ServerFrame.GroupCreated(req.id(), id));
    }

    public CompletableFuture<ServerFrame.Reply> add(String by, ClientFrame.GroupAdd req) throws ProtocolException {
        return change(req.id(), req.group(), by, true, group -> {
            List<String> fresh = new ArrayList<>();
            for (String u : req.users()) if (!group.isMember(u)) fresh.add(u);
            if (fresh.isEmpty()) return null;
            requireUsers(req.id(), fresh);
            if (group.members().size() + fresh.size() > maxSize) {
                throw full(req.id(), group.members().size() + fresh.size());
            }
            requireRoomFor(req.id(), fresh);
            return new Change(group.withAdded(fresh), GroupEventKind.ADDED, fresh);
        });
    }

    public CompletableFuture<ServerFrame.Reply> remove(String by, ClientFrame.GroupRemove req)
            throws ProtocolException {
        return change(req.id(), req.group(), by, true, group -> {
            requireUsers(req.id(), req.users());
            List<String> gone = new ArrayList<>();
            for (String u : req.users()) if (group.isMember(u)) gone.add(u);
            return gone.isEmpty() ? null : new Change(group.without(gone), GroupEventKind.REMOVED, gone);
        });
    }

    public CompletableFuture<ServerFrame.Reply> leave(String by, ClientFrame.GroupLeave req) throws ProtocolException {
        return change(req.id(), req.group(), by, false,
                group -> new Change(group.without(List.of(by)), GroupEventKind.LEFT, List.of(by)));
    }

    /** A group's name, members and admins; only members may ask. */
    public ServerFrame.Reply info(String user, ClientFrame.GroupInfoRequest req) throws ProtocolException {
        Group group = memberOf(req.id(), req.group(), user);
        return new ServerFrame.GroupInfo(req.id(), group.id(), group.name(), group.memberList(), group.adminList());
    }

    /**
     * The groups the user is in, in the order they joined them since the server started; those
     * loaded at start come first, in group id order (the database keeps no per-user order).
     */
    public ServerFrame.Reply list(String user, ClientFrame.GroupsRequest req) {
        List<ServerFrame.GroupSummary> out = new ArrayList<>();
        for (String id : store.groupsOf(user)) {
            Group group = table.get(id);
            if (group != null && group.isMember(user)) out.add(new ServerFrame.GroupSummary(id, group.name()));
        }
        return new ServerFrame.GroupList(req.id(), out);
    }

    /**
     * The group, if {@code user} is in it.
     *
     * @throws ProtocolException {@code no_such_group} or {@code not_member}
     */
    public Group memberOf(String requestId, String groupId, String user) throws ProtocolException {
        Group group = table.get(groupId);
        if (group == null) throw noSuchGroup(requestId, groupId);
        if (!group.isMember(user)) throw notMember(requestId, groupId);
        return group;
    }

    /** What a membership change turns a group into, and how it is announced. */
    private record Change(Group after, GroupEventKind event, List<String> users) {
    }

    /** Works out a change from the group as it is; null when there is nothing to change. */
    @FunctionalInterface
    private interface Rule {
        Change apply(Group group) throws ProtocolException;
    }

    private CompletableFuture<ServerFrame.Reply> change(String requestId, String groupId, String by,
                                                        boolean adminOnly, Rule rule) throws ProtocolException {
        ReentrantLock changes = table.changeLock(groupId);
        if (changes == null) throw noSuchGroup(requestId, groupId);
        changes.lock();
        try {
            Group before = table.get(groupId); // the group may have gone while we waited
            if (before == null) throw noSuchGroup(requestId, groupId);
            if (!before.isMember(by)) throw notMember(requestId, groupId);
            if (adminOnly && !before.isAdmin(by)) {
                throw new ProtocolException(ErrorCode.NOT_ADMIN, requestId,
                        "only admins of " + groupId + " may do that");
            }
            Change change = rule.apply(before);
            if (change == null) return CompletableFuture.completedFuture(new ServerFrame.Ok(requestId));
            Group after = change.after();
            // Everyone in the group before or after: those still in, those added, those gone.
            Set<String> told = new LinkedHashSet<>(before.members());
            told.addAll(after.members());
            charge(by, requestId, told.size(), change.users());
            // Waits here, under the change lock only: sends to the group go on meanwhile.
            boolean reserved = store.reserveRoom(told, Router.ROOM_WAIT_NANOS);
            try {
                records.update(before, after);
            } catch (SQLException e) {
                if (reserved) store.releaseRoom(told);
                throw Authenticator.internal(requestId, e);
            }
            CompletableFuture<Void> stored;
            ReentrantReadWriteLock.WriteLock membership = table.membershipLock(groupId).writeLock();
            membership.lock();
            try {
                if (after.members().isEmpty()) table.remove(groupId);
                else table.put(after);
                for (String m : after.members()) if (!before.isMember(m)) store.joinedGroup(m, groupId);
                for (String m : before.members()) if (!after.isMember(m)) store.leftGroup(m, groupId);
                stored = announce(told, reserved, groupId, change.event(), by, change.users());
            } finally {
                membership.unlock();
            }
            return stored.thenApply(done -> new ServerFrame.Ok(requestId));
        } finally {
            changes.unlock();
        }
    }

    /**
     * Puts the event in each recipient's inbox, without waiting; completes when all are durable.
     * A recipient whose inbox is far over its limit misses the event (logged): the change itself
     * stands, and {@code group_info} tells the truth.
     *
     * @param reserved whether room for every event was reserved, so that a busy server does not
     *                 give them to some members only; without it (the wait for room timed out,
     *                 and the change is made all the same), each event is offered alone
     */
    private CompletableFuture<Void> announce(Set<String> to, boolean reserved, String groupId, GroupEventKind kind,
                                             String by, List<String> users) {
        List<String> named = List.copyOf(users);
        List<CompletableFuture<Void>> stored = new ArrayList<>(to.size());
        for (String user : to) {
            try {
                stored.add(store.append(user, seq -> new GroupEvent(seq, groupId, kind, by, named), null,
                        reserved ? ChatStore.Admission.FAN_OUT : ChatStore.Admission.NOTICE).durable());
            } catch (ProtocolException e) {
                if (reserved) store.releaseRoom(user);
                LOG.log(System.Logger.Level.WARNING, "{0} event of {1} not given to {2}: {3}",
                        kind.wire(), groupId, user, e.getMessage());
            }
        }
        return CompletableFuture.allOf(stored.toArray(CompletableFuture[]::new)).exceptionally(error -> {
            // The change is stored and in effect; answering an error would invite a retry that
            // creates a second group. An event whose write failed is still delivered, and the
            // committer writes it again once the database is back (GroupCommitter.requeue),
            // unless the server is stopping.
            LOG.log(System.Logger.Level.WARNING, "{0} event of {1} not stored: {2}",
                    kind.wire(), groupId, error.toString());
            return null;
        });
    }

    /**
     * Charges a membership change to its maker's {@code send_rate} as a group send of its event
     * would be: per 64 KiB of names it puts in {@code told} inboxes, and at least one token. A
     * change is an item (and perhaps a row) per member, listing up to a thousand names, and
     * without a charge an admin could add and remove a thousand members in a loop.
     *
     * @throws ProtocolException {@code rate_limited}, and nothing is changed
     */
    private void charge(String by, String requestId, int told, List<String> named) throws ProtocolException {
        int cost = Router.groupCost(told, ChatStore.namesWeight(named));
        if (!store.allow(by, ChatStore.Budget.SEND, sendRate, sendBurst, System.nanoTime(), cost)) {
            throw new ProtocolException(ErrorCode.RATE_LIMITED, requestId,
                    "group changes take from your send rate, and it is used up; try again later");
        }
    }

    /** Refuses, with {@code invalid}, to put anyone in one group more than the most they may be in. */
    private void requireRoomFor(String requestId, Collection<String> joining) throws ProtocolException {
        for (String user : joining) {
            if (store.groupCount(user) >= maxPerUser) {
                throw new ProtocolException(ErrorCode.INVALID, requestId,
                        user + " is in " + maxPerUser + " groups, the most one user may be in");
            }
        }
    }

    private void requireUsers(String requestId, Iterable<String> users) throws ProtocolException {
        for (String u : users) {
            if (!store.exists(u)) throw new ProtocolException(ErrorCode.NO_SUCH_USER, requestId, "no such user: " + u);
        }
    }

    private ProtocolException full(String requestId, int size) {
        return new ProtocolException(ErrorCode.GROUP_FULL, requestId,
                "a group has at most " + maxSize + " members, this would make " + size);
    }

    static ProtocolException noSuchGroup(String requestId, String groupId) {
        return new ProtocolException(ErrorCode.NO_SUCH_GROUP, requestId, "no such group: " + groupId);
    }

    static ProtocolException notMember(String requestId, String groupId) {
        return new ProtocolException(ErrorCode.NOT_MEMBER, requestId, "you are not a member of " + groupId);
    }

    private String newId() {
        byte[] b = new byte[ID_BYTES];
        random.nextBytes(b);
        return B64.encodeToString(b);
    }
}
