package loomchat.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import loomchat.client.ChatClient;
import loomchat.client.ChatException;
import loomchat.protocol.ClientFrame;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.ServerFrame;

/**
 * One simulated person in the soak, on a virtual thread of its own: sends 1:1 and group messages
 * at a random pace, marks some received messages read, and now and then drops its connection,
 * stays away a while, or logs out, like a phone on a train.
 *
 * <p>It behaves as a careful client must: a send whose reply was lost with the connection is sent
 * again, with the same id, after the next login (the server answers with the original msg id and
 * delivers nothing new), and a send refused as {@code rate_limited}, {@code overloaded} or
 * {@code internal} is tried again a little later. So every send ends with an {@code ok}, or a
 * final error code, and the soak can demand that deliveries match the {@code ok}s exactly.
 */
final class SoakUser {
    static final String PASSWORD = "soak-password";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Sends without an answer yet; more would only queue in the socket. */
    private static final int WINDOW = 32;
    private static final long RETRY_BACKOFF = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long RECONNECT_BACKOFF = TimeUnit.SECONDS.toNanos(1);
    /** The longest the thread sleeps, so that it notices a new phase or a flap soon. */
    private static final long MAX_PAUSE = TimeUnit.MILLISECONDS.toNanos(100);
    /** The share of online users that drop in a flap (a mass disconnect, as after a network blip). */
    private static final double FLAP_SHARE = 0.3;

    private final int index;
    private final String name;
    private final Soak soak;
    private final SoakLedger ledger;
    /** Used by this user's own thread only. */
    private final SplittableRandom random;
    private final List<Integer> groups = new ArrayList<>();

    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock: touched by this user's thread and by its clients' reader threads.
    private final Map<String, Outgoing> unresolved = new LinkedHashMap<>();
    private final Set<String> received = new HashSet<>();
    private int inFlight;

    // This user's thread only (reads of client from other threads are for the progress line).
    private volatile ChatClient client;
    private String token;
    private long nextN;
    private long backAt;
    private long nextChurn;
    private int flapsSeen;

    /** A send without a final answer; {@code attempt} tells a stale callback from the current one. */
    private static final class Outgoing {
        final ClientFrame.Send frame;
        final SoakLedger.Recipients to;
        final int recipientCount;
        boolean inFlight;
        int attempt;
        long retryAt;

        Outgoing(ClientFrame.Send frame, SoakLedger.Recipients to, int recipientCount) {
            this.frame = frame;
            this.to = to;
            this.recipientCount = recipientCount;
        }
    }

    SoakUser(int index, String name, Soak soak, long seed) {
        this.index = index;
        this.name = name;
        this.soak = soak;
        this.ledger = soak.ledger();
        this.random = new SplittableRandom(seed);
    }

    String name() {
        return name;
    }

    /** The logged-in client, or null while offline. */
    ChatClient client() {
        return client;
    }

    boolean online() {
        ChatClient c = client;
        return c != null && c.isOpen();
    }

    void joinGroup(int group) {
        groups.add(group);
    }

    /** Registers the account and logs in by password; for the setup, before {@link #run}. */
    void signUp() throws IOException {
        try (ChatClient c = ChatClient.connect(soak.host(), soak.port(), null, CONNECT_TIMEOUT)) {
            c.register(name, PASSWORD);
        }
        if (!connect()) throw new IOException("the first login of " + name + " failed");
        nextChurn = System.nanoTime() + churnInterval();
    }

    /** Sends, churns and retries until the soak is done; in the drain it only reconnects and retries. */
    void run() {
        long nextSend = System.nanoTime() + sendInterval();
        while (soak.phase() != Soak.Phase.DONE) {
            long now = System.nanoTime();
            ChatClient c = client;
            if (c != null && !c.isOpen()) {
                // This thread sets client to null before it closes one on purpose: the server closed this.
                ChatException why = c.closeCause();
                ledger.error(why != null && why.code() != null ? why.code().wire() : "connection_lost");
                client = null;
                c = null;
                backAt = now;
            }
            if (c == null) {
                if (soak.phase() == Soak.Phase.DRAIN || now >= backAt) {
                    if (connect()) {
                        ledger.add(SoakLedger.Count.RECONNECTS);
                        continue;
                    }
                    backAt = now + RECONNECT_BACKOFF;
                }
                pause(Math.min(backAt - now, MAX_PAUSE));
                continue;
            }
            if (soak.phase() == Soak.Phase.LOAD) {
                if (churn(c, now)) continue;
                if (now >= nextSend) {
                    sendNew(c);
                    nextSend = Math.max(nextSend + sendInterval(), now - TimeUnit.SECONDS.toNanos(1));
                }
            }
            resend(c, now);
            pause(soak.phase() == Soak.Phase.LOAD ? Math.min(nextSend - System.nanoTime(), MAX_PAUSE) : MAX_PAUSE);
        }
        ChatClient c = client;
        client = null;
        if (c != null) c.close();
    }

    /** Sends that have neither an ok nor a final error yet. */
    int unresolved() {
        lock.lock();
        try {
            return unresolved.size();
        } finally {
            lock.unlock();
        }
    }

    boolean hasReceived(String msg) {
        lock.lock();
        try {
            return received.contains(msg);
        } finally {
            lock.unlock();
        }
    }

    Set<String> receivedSnapshot() {
        lock.lock();
        try {
            return Set.copyOf(received);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- connecting

    /** Connects and logs in: by token if it has one, else by password (after a logout). */
    private boolean connect() {
        ChatClient c = null;
        try {
            c = ChatClient.connect(soak.host(), soak.port(), null, CONNECT_TIMEOUT);
            ChatClient self = c;
            c.onItem(item -> onItem(self, item)).onEvent(this::onEvent);
            if (token != null) {
                try {
                    c.loginWithToken(name, token);
                } catch (ChatException e) {
                    if (e.code() != ErrorCode.BAD_CREDENTIALS) throw e;
                    ledger.error("token_refused");
                    token = null;
                }
            }
            if (token == null) token = c.login(name, PASSWORD).token();
            client = c;
            return true;
        } catch (IOException | ChatException e) {
            ledger.error(e instanceof ChatException ce && ce.code() != null ? ce.code().wire() : "connect_failed");
            if (c != null) c.close();
            return false;
        }
    }

    /** Maybe drops the connection or logs out; true if it did (the user is offline now). */
    private boolean churn(ChatClient c, long now) {
        int flaps = soak.flaps();
        if (flaps != flapsSeen) {
            flapsSeen = flaps;
            if (random.nextDouble() < FLAP_SHARE) {
                drop(c, now, TimeUnit.MILLISECONDS.toNanos(random.nextLong(1000)));
                return true;
            }
        }
        if (now < nextChurn) return false;
        nextChurn = now + churnInterval();
        double roll = random.nextDouble();
        if (roll < 0.1) {
            client = null;
            try {
                c.logout(); // revokes the token: the next login costs a password hash
            } catch (ChatException e) {
                if (e.code() != null) ledger.error(e.code().wire());
            }
            token = null;
            ledger.add(SoakLedger.Count.LOGOUTS);
            backAt = now + exponential(3.0);
        } else if (roll < 0.3) {
            drop(c, now, TimeUnit.SECONDS.toNanos(10 + random.nextLong(20))); // long enough to pile up an inbox
        } else {
            drop(c, now, exponential(2.0));
        }
        return true;
    }

    private void drop(ChatClient c, long now, long offlineNanos) {
        client = null;
        c.abort(); // as a phone losing its network: a reset, no goodbye
        ledger.add(SoakLedger.Count.DROPS);
        backAt = now + offlineNanos;
    }

    // ---------------------------------------------------------------- sending

    private void sendNew(ChatClient c) {
        Outgoing o;
        lock.lock();
        try {
            if (inFlight >= WINDOW) return;
            long n = nextN++;
            String body = name + " #" + n + " " + "x".repeat(random.nextInt(16, 200));
            String id = "s" + n; // unique per user: the server remembers it to recognise retries
            if (!groups.isEmpty() && random.nextDouble() < soak.options().groupShare()) {
                int g = groups.get(random.nextInt(groups.size()));
                o = new Outgoing(new ClientFrame.Send(id, null, soak.groupId(g), body, null),
                        new SoakLedger.Recipients(index, -1, g), soak.groupMembers(g).length - 1);
            } else {
                int to = random.nextInt(soak.userCount() - 1);
                if (to >= index) to++; // anyone but oneself
                o = new Outgoing(new ClientFrame.Send(id, soak.userName(to), null, body, null),
                        new SoakLedger.Recipients(index, to, -1), 1);
            }
            unresolved.put(id, o);
            o.inFlight = true;
            inFlight++;
        } finally {
            lock.unlock();
        }
        ledger.add(SoakLedger.Count.SENT);
        transmit(c, o, 0);
    }

    /** Sends again, with the same ids, whatever lost its reply or was refused for now. */
    private void resend(ChatClient c, long now) {
        List<Outgoing> due = new ArrayList<>();
        List<Integer> attempts = new ArrayList<>();
        lock.lock();
        try {
            for (Outgoing o : unresolved.values()) {
                if (inFlight >= WINDOW) break;
                if (o.inFlight || o.retryAt > now) continue;
                o.inFlight = true;
                o.attempt++;
                inFlight++;
                due.add(o);
                attempts.add(o.attempt);
            }
        } finally {
            lock.unlock();
        }
        // Written outside the lock: a write may block on a full socket, while the reader thread,
        // which needs the lock for each item, is what empties the other direction.
        for (int i = 0; i < due.size(); i++) {
            ledger.add(SoakLedger.Count.RETRIES);
            transmit(c, due.get(i), attempts.get(i));
        }
    }

    private void transmit(ChatClient c, Outgoing o, int attempt) {
        c.request(o.frame).whenComplete((reply, failure) -> settle(o, attempt, reply));
    }

    /** Handles a send's reply, or its loss (reply null) with the connection. */
    private void settle(Outgoing o, int attempt, ServerFrame.Reply reply) {
        if (reply instanceof ServerFrame.Error e) ledger.error(e.code().wire());
        lock.lock();
        try {
            if (unresolved.get(o.frame.id()) != o) return; // already settled by another attempt
            if (reply instanceof ServerFrame.SendOk ok) {
                unresolved.remove(o.frame.id());
                if (o.inFlight) inFlight--;
                ledger.acknowledged(ok.msg(), o.to, o.recipientCount);
                return;
            }
            if (attempt != o.attempt) return; // a stale callback of an attempt since superseded
            o.inFlight = false;
            inFlight--;
            if (reply instanceof ServerFrame.Error e) {
                if (e.code() == ErrorCode.RATE_LIMITED || e.code() == ErrorCode.OVERLOADED
                        || e.code() == ErrorCode.INTERNAL) {
                    o.retryAt = System.nanoTime() + RETRY_BACKOFF;
                } else {
                    unresolved.remove(o.frame.id());
                    ledger.add(SoakLedger.Count.REFUSED);
                }
            }
            // else the connection was lost: retried as soon as this user is online again
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- receiving

    /** On the client's reader thread: counts what arrived; marks some messages read. */
    private void onItem(ChatClient c, ServerFrame.InboxItem item) {
        switch (item) {
            case ServerFrame.Msg m -> {
                boolean fresh;
                lock.lock();
                try {
                    fresh = received.add(m.msg());
                } finally {
                    lock.unlock();
                }
                if (!fresh) return; // pushed again after a reconnect, before the ack got through
                ledger.add(SoakLedger.Count.DELIVERED);
                // Decided by the id, not by random: this runs on the reader thread, not this user's.
                if (Math.floorMod(m.msg().hashCode(), 100) < soak.options().readShare() * 100) c.read(m.msg());
            }
            case ServerFrame.Receipt r -> ledger.add(r.status() == ServerFrame.ReceiptStatus.READ
                    ? SoakLedger.Count.RECEIPTS_READ : SoakLedger.Count.RECEIPTS_DELIVERED);
            default -> {
                // group events: membership is fixed during a soak
            }
        }
    }

    private void onEvent(ServerFrame event) {
        if (event instanceof ServerFrame.Error e && e.code() != null) ledger.error(e.code().wire());
    }

    // ---------------------------------------------------------------- pacing

    private long sendInterval() {
        return exponential(soak.options().users() / soak.options().rate());
    }

    private long churnInterval() {
        double perMinute = soak.options().churnPerMinute();
        return perMinute <= 0 ? Long.MAX_VALUE / 4 : exponential(60.0 / perMinute);
    }

    /** A random wait with the given mean, in nanoseconds: events at random, as from many independent people. */
    private long exponential(double meanSeconds) {
        return (long) (-Math.log(1 - random.nextDouble()) * meanSeconds * 1e9);
    }

    private static void pause(long nanos) {
        if (nanos <= 0) return;
        try {
            Thread.sleep(Duration.ofNanos(nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
