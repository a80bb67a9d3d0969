package loomchat.bench;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The soak's books: every acknowledged message with who must receive it, running counters for
 * the progress line, and errors by code. Deliveries themselves are kept by each {@link SoakUser}
 * (the distinct msg ids it received); {@link #audit} compares the two at the end.
 */
final class SoakLedger {
    /** Counters the progress line and the summary print. */
    enum Count {
        /** Distinct send ids issued (a retry of the same id is not counted again). */
        SENT,
        /** Sends that got an {@code ok}, possibly only on a retry after a reconnect. */
        ACKNOWLEDGED,
        /** Sends refused with a final error code (never delivered, so never expected). */
        REFUSED,
        /** Sum over acknowledged messages of their recipients. */
        EXPECTED,
        /** Distinct (recipient, msg id) pairs received. */
        DELIVERED,
        /** Sends sent again with the same id because the first attempt got no reply. */
        RETRIES,
        /** Connections the soak dropped on purpose (churn), without logging out. */
        DROPS,
        /** Logins after the first: by token after a drop, by password after a logout. */
        RECONNECTS,
        LOGOUTS,
        RECEIPTS_DELIVERED,
        RECEIPTS_READ
    }

    /** What the final audit found. */
    record Audit(long missing, long unexpected) {
    }

    /** Who must receive a message: one user, or every member of a group but the sender. */
    record Recipients(int sender, int user, int group) {
    }

    private final Map<Count, LongAdder> counts = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    /** msg id → recipients; a retried send's ok names the same msg id, so it lands on the same key. */
    private final Map<String, Recipients> acknowledged = new ConcurrentHashMap<>();

    void add(Count c) {
        counts.computeIfAbsent(c, k -> new LongAdder()).increment();
    }

    void add(Count c, long n) {
        counts.computeIfAbsent(c, k -> new LongAdder()).add(n);
    }

    long get(Count c) {
        LongAdder a = counts.get(c);
        return a == null ? 0 : a.sum();
    }

    /** Counts an error by its wire code, or by a local name such as {@code connect_failed}. */
    void error(String code) {
        errors.computeIfAbsent(code, k -> new LongAdder()).increment();
    }

    /** Errors so far, by code, sorted by name. */
    Map<String, Long> errors() {
        Map<String, Long> out = new TreeMap<>();
        errors.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Records an ok; false if the msg id was already acknowledged (a duplicate ok is not counted twice). */
    boolean acknowledged(String msg, Recipients to, int recipientCount) {
        if (acknowledged.putIfAbsent(msg, to) != null) return false;
        add(Count.ACKNOWLEDGED);
        add(Count.EXPECTED, recipientCount);
        return true;
    }

    /**
     * Compares what was acknowledged with what each user received: a missing delivery is an
     * acknowledged message some recipient never got; an unexpected one is a msg id received that
     * no ok named (a message the server delivered but never confirmed, or confirmed under
     * another id: a broken idempotent retry).
     */
    Audit audit(SoakUser[] users, Map<Integer, int[]> groups) {
        long missing = 0;
        for (Map.Entry<String, Recipients> e : acknowledged.entrySet()) {
            Recipients r = e.getValue();
            if (r.user() >= 0) {
                if (!users[r.user()].hasReceived(e.getKey())) missing++;
            } else {
                for (int member : groups.get(r.group())) {
                    if (member != r.sender() && !users[member].hasReceived(e.getKey())) missing++;
                }
            }
        }
        long unexpected = 0;
        for (SoakUser u : users) {
            Set<String> received = u.receivedSnapshot();
            for (String msg : received) if (!acknowledged.containsKey(msg)) unexpected++;
        }
        return new Audit(missing, unexpected);
    }
}
