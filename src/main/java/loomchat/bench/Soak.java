package loomchat.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import loomchat.bench.SoakLedger.Count;
import loomchat.client.ChatException;

/**
 * A bounded soak: {@code users} people chat 1:1 and in groups for a set time while their
 * connections churn (dropped and resumed by token, logged out and back in by password, now and
 * then a third of them at once), then a drain (everyone back online, reading until idle) and an
 * audit: every acknowledged message must have reached every one of its recipients, and nothing
 * else may have arrived. Alongside, the server's RSS is sampled each second, to show whether it
 * levels off.
 *
 * <p>Prints a progress line every {@code reportEvery} and a summary at the end.
 */
public final class Soak {
    /** How often the server's RSS is sampled. */
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(1);
    /** A flap (a mass drop) this often, as when a cell tower or a NAT forgets its connections. */
    private static final Duration FLAP_EVERY = Duration.ofSeconds(60);
    /** The drain ends once nothing new has arrived for this long (or everything expected has). */
    private static final Duration IDLE = Duration.ofSeconds(3);
    /** Registrations and first logins in flight at once: each costs a password hash on the server. */
    private static final int SIGN_UP_CONCURRENCY = 16;
    private static final int GROUP_SIZE_MIN = 5;
    private static final int GROUP_SIZE_MAX = 20;
    private static final Duration JCMD_TIMEOUT = Duration.ofSeconds(30);

    /**
     * What to run. {@code rate} is new messages per second from all users together;
     * {@code weighLiveHeap} runs {@code jcmd} on the server before and after (two full GCs).
     */
    public record Options(String host, int port, Long serverPid, int users, Duration duration, double rate,
                          double groupShare, double churnPerMinute, double readShare, Duration reportEvery,
                          Duration drainTimeout, long seed, boolean weighLiveHeap) {
        public Options {
            if (users < 2) throw new IllegalArgumentException("a soak needs at least 2 users");
            if (rate <= 0) throw new IllegalArgumentException("rate must be positive");
        }
    }

    /** The outcome: the counts, the audit and the RSS trend (null without a server pid). */
    public record Result(Map<Count, Long> counts, long unresolved, long missing, long unexpected,
                         Map<String, Long> errors, RssTrend.Summary rss, long liveHeapBeforeBytes,
                         long liveHeapAfterBytes) {
        public long count(Count c) {
            return counts.getOrDefault(c, 0L);
        }

        /** Every send settled, and the deliveries are exactly the acknowledged messages' recipients. */
        public boolean passed() {
            return unresolved == 0 && missing == 0 && unexpected == 0
                    && count(Count.DELIVERED) == count(Count.EXPECTED)
                    && count(Count.ACKNOWLEDGED) + count(Count.REFUSED) == count(Count.SENT);
        }
    }

    enum Phase { LOAD, DRAIN, DONE }

    private final Options options;
    private final PrintStream out;
    private final SoakLedger ledger = new SoakLedger();
    private final RssTrend rss = new RssTrend();
    private final SoakUser[] users;
    private final Map<Integer, int[]> groupMembers = new HashMap<>();
    private final Map<Integer, String> groupIds = new ConcurrentHashMap<>();
    /** Written by the coordinating thread, read by every user's thread. */
    private volatile Phase phase = Phase.LOAD;
    private volatile int flaps;
    private long startNanos;

    public Soak(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
        SplittableRandom random = new SplittableRandom(options.seed());
        // A fresh set of names per run, so that a soak can run again against the same server.
        String run = Long.toString(random.nextLong(36L * 36 * 36 * 36), 36);
        this.users = new SoakUser[options.users()];
        for (int i = 0; i < users.length; i++) users[i] = new SoakUser(i, "soak" + run + "-" + i, this, random.nextLong());
        int groups = Math.max(1, users.length / GROUP_SIZE_MAX);
        for (int g = 0; g < groups; g++) {
            int size = Math.min(users.length, random.nextInt(GROUP_SIZE_MIN, GROUP_SIZE_MAX + 1));
            int[] members = IntStream.generate(() -> random.nextInt(users.length)).distinct().limit(size).toArray();
            groupMembers.put(g, members);
            for (int m : members) users[m].joinGroup(g);
        }
    }

    /** Sets up the users and groups, runs the load, drains, audits, and prints the summary. */
    public Result run() throws IOException, InterruptedException {
        out.printf("soak: %d users, %d groups, %.0f msgs/s, %.0f%% to groups, %.1f drops per user per minute, %.0f s%n",
                users.length, groupMembers.size(), options.rate(), options.groupShare() * 100,
                options.churnPerMinute(), options.duration().toMillis() / 1000.0);
        signUpEveryone();
        createGroups();

        long liveBefore = liveHeapBytes();
        startNanos = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (SoakUser u : users) threads.add(Thread.ofVirtual().name("soak " + u.name()).start(u::run));
        load();
        long drainStart = System.nanoTime();
        phase = Phase.DRAIN;
        boolean settled = drain();
        phase = Phase.DONE;
        for (Thread t : threads) t.join(Duration.ofSeconds(10));
        double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
        long liveAfter = liveHeapBytes();

        SoakLedger.Audit audit = ledger.audit(users, groupMembers);
        long unresolved = 0;
        for (SoakUser u : users) unresolved += u.unresolved();
        Map<Count, Long> counts = new HashMap<>();
        for (Count c : Count.values()) counts.put(c, ledger.get(c));
        Result result = new Result(Map.copyOf(counts), unresolved, audit.missing(), audit.unexpected(),
                ledger.errors(), options.serverPid() == null ? null : rss.summary(), liveBefore, liveAfter);
        printSummary(result, drainSeconds, settled);
        return result;
    }

    // ---------------------------------------------------------------- what the users ask

    Options options() {
        return options;
    }

    SoakLedger ledger() {
        return ledger;
    }

    Phase phase() {
        return phase;
    }

    int flaps() {
        return flaps;
    }

    String host() {
        return options.host();
    }

    int port() {
        return options.port();
    }

    int userCount() {
        return users.length;
    }

    String userName(int i) {
        return users[i].name();
    }

    String groupId(int g) {
        return groupIds.get(g);
    }

    int[] groupMembers(int g) {
        return groupMembers.get(g);
    }

    // ---------------------------------------------------------------- phases

    private void signUpEveryone() throws IOException, InterruptedException {
        Semaphore slots = new Semaphore(SIGN_UP_CONCURRENCY);
        Map<String, Exception> failures = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (SoakUser u : users) {
            slots.acquire();
            threads.add(Thread.ofVirtual().name("soak sign-up").start(() -> {
                try {
                    u.signUp();
                } catch (IOException | ChatException e) {
                    failures.put(u.name(), e);
                } finally {
                    slots.release();
                }
            }));
        }
        for (Thread t : threads) t.join();
        if (!failures.isEmpty()) {
            Map.Entry<String, Exception> first = failures.entrySet().iterator().next();
            throw new IOException(failures.size() + " users could not sign up; " + first.getKey() + ": "
                    + first.getValue().getMessage(), first.getValue());
        }
    }

    private void createGroups() {
        for (Map.Entry<Integer, int[]> g : groupMembers.entrySet()) {
            int[] members = g.getValue();
            List<String> others = new ArrayList<>();
            for (int i = 1; i < members.length; i++) others.add(users[members[i]].name());
            groupIds.put(g.getKey(), users[members[0]].client().groupCreate("soak " + g.getKey(), others));
        }
    }

    /** Lets the users run for the duration: samples RSS, prints progress, and flaps now and then. */
    private void load() throws InterruptedException {
        long end = startNanos + options.duration().toNanos();
        long nextReport = startNanos + options.reportEvery().toNanos();
        long nextFlap = startNanos + FLAP_EVERY.toNanos();
        while (true) {
            long now = System.nanoTime();
            if (now >= end) break;
            sampleRss(now);
            if (now >= nextReport) {
                printProgress(now);
                nextReport += options.reportEvery().toNanos();
            }
            if (now >= nextFlap) {
                flaps++;
                nextFlap += FLAP_EVERY.toNanos();
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(end - now, SAMPLE_EVERY.toNanos()));
        }
        sampleRss(System.nanoTime());
        printProgress(System.nanoTime());
    }

    /**
     * Everyone is back online (the users' threads see the phase and reconnect at once) and sends
     * only what is still unresolved; waits until all is settled and nothing more arrives.
     *
     * @return false if the drain timed out first
     */
    private boolean drain() throws InterruptedException {
        out.println("draining: every user back online, retrying unanswered sends, reading until idle");
        long deadline = System.nanoTime() + options.drainTimeout().toNanos();
        long lastDelivered = -1;
        long quietSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long now = System.nanoTime();
            long delivered = ledger.get(Count.DELIVERED);
            if (delivered != lastDelivered) {
                lastDelivered = delivered;
                quietSince = now;
            }
            boolean allOnline = true;
            int unresolved = 0;
            for (SoakUser u : users) {
                allOnline &= u.online();
                unresolved += u.unresolved();
            }
            if (allOnline && unresolved == 0) {
                boolean complete = delivered == ledger.get(Count.EXPECTED);
                // Complete: wait a moment more for strays (duplicates, unexpected ids) to show up.
                long quiet = complete ? IDLE.toNanos() / 3 : IDLE.toNanos();
                if (now - quietSince >= quiet) return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    // ---------------------------------------------------------------- reporting

    private void sampleRss(long now) {
        if (options.serverPid() == null) return;
        long kib = ServerProbe.rssKiBOf(options.serverPid());
        if (kib > 0) rss.add((now - startNanos) / 1e9, kib);
    }

    /** The server's live heap ({@link ServerProbe#liveHeapBytes}), or -1 without a server pid or when not asked for. */
    private long liveHeapBytes() throws InterruptedException {
        if (options.serverPid() == null || !options.weighLiveHeap()) return -1;
        return ServerProbe.liveHeapBytes(options.serverPid(), JCMD_TIMEOUT);
    }

    private void printProgress(long now) {
        int online = 0;
        for (SoakUser u : users) if (u.online()) online++;
        String rssNow = "";
        if (options.serverPid() != null) {
            long kib = ServerProbe.rssKiBOf(options.serverPid());
            rssNow = kib < 0 ? "  rss (server gone)" : String.format("  rss %d MiB", kib / 1024);
        }
        out.printf("[%4.0fs] sent %d  acked %d  delivered %d/%d  online %d/%d  drops %d  logouts %d  retries %d"
                        + "  errors %s%s%n",
                (now - startNanos) / 1e9, ledger.get(Count.SENT), ledger.get(Count.ACKNOWLEDGED),
                ledger.get(Count.DELIVERED), ledger.get(Count.EXPECTED), online, users.length,
                ledger.get(Count.DROPS), ledger.get(Count.LOGOUTS), ledger.get(Count.RETRIES),
                errorsText(ledger.errors()), rssNow);
    }

    private void printSummary(Result r, double drainSeconds, boolean settled) {
        out.println();
        out.printf("soak summary: %d users, %.0f s of load, %.1f s of drain%s%n", users.length,
                options.duration().toMillis() / 1000.0,
                drainSeconds, settled ? "" : " (timed out)");
        out.printf("  messages:    sent %d, acknowledged %d, refused %d, unresolved %d%n", r.count(Count.SENT),
                r.count(Count.ACKNOWLEDGED), r.count(Count.REFUSED), r.unresolved());
        out.printf("  deliveries:  expected %d (acknowledged × recipients), delivered %d, missing %d, unexpected %d%n",
                r.count(Count.EXPECTED), r.count(Count.DELIVERED), r.missing(), r.unexpected());
        out.printf("  churn:       %d drops, %d logouts, %d reconnects, %d flaps, %d sends retried%n",
                r.count(Count.DROPS), r.count(Count.LOGOUTS), r.count(Count.RECONNECTS), flaps, r.count(Count.RETRIES));
        out.printf("  receipts:    %d delivered, %d read%n", r.count(Count.RECEIPTS_DELIVERED),
                r.count(Count.RECEIPTS_READ));
        out.printf("  errors:      %s%n", errorsText(r.errors()));
        RssTrend.Summary s = r.rss();
        if (s != null) {
            out.printf("  server rss:  first %d MiB, max %d MiB, last %d MiB; max of middle third %d MiB, "
                            + "of last third %d MiB (%d samples): %s%n",
                    s.firstKiB() / 1024, s.maxKiB() / 1024, s.lastKiB() / 1024, s.middleThirdMaxKiB() / 1024,
                    s.lastThirdMaxKiB() / 1024, s.samples(), s.verdict());
        }
        if (r.liveHeapBeforeBytes() > 0 && r.liveHeapAfterBytes() > 0) {
            long grown = r.liveHeapAfterBytes() - r.liveHeapBeforeBytes();
            out.printf("  server heap: live %d MiB before the load, %d MiB after the drain (%+d bytes per message sent)%n",
                    r.liveHeapBeforeBytes() >> 20, r.liveHeapAfterBytes() >> 20,
                    grown / Math.max(1, r.count(Count.SENT)));
        }
        out.println(r.passed() ? "PASS: sent = delivered (every acknowledged message reached every recipient once)"
                : "FAIL: sent ≠ delivered");
    }

    private static String errorsText(Map<String, Long> errors) {
        if (errors.isEmpty()) return "none";
        StringBuilder b = new StringBuilder();
        errors.forEach((k, v) -> b.append(b.isEmpty() ? "" : ", ").append(k).append('=').append(v));
        return b.toString();
    }
}
