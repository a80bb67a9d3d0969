package loomchat.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The server's counters and gauges, one instance per server.
 *
 * <p>Counters are {@link LongAdder}s: each thread bumps its own cell, so thousands of
 * connections counting frames do not fight over one cache line. Per-type frame counters are
 * keyed by the frame's wire type; the key set is small and fixed by the protocol.
 */
public final class Metrics {
    public final LongAdder connectionsOpened = new LongAdder();
    public final LongAdder connectionsClosed = new LongAdder();
    public final LongAdder connectionsRefused = new LongAdder();
    public final LongAdder loginsPassword = new LongAdder();
    public final LongAdder loginsToken = new LongAdder();
    public final LongAdder loginsFailed = new LongAdder();
    public final LongAdder registrations = new LongAdder();
    public final LongAdder messagesSent = new LongAdder();
    public final LongAdder itemsWritten = new LongAdder();
    public final LongAdder itemsSkipped = new LongAdder();
    public final LongAdder itemsDeleted = new LongAdder();
    public final LongAdder lastSeenWritten = new LongAdder();
    public final LongAdder commitBatches = new LongAdder();
    public final LongAdder commitOps = new LongAdder();
    public final LongAdder commitNanos = new LongAdder();
    public final LongAdder commitFailures = new LongAdder();
    public final LongAdder outboxDrops = new LongAdder();
    /** Group members a message was not given to: their inbox was over its cap, or full of the sender's. */
    public final LongAdder groupMembersSkipped = new LongAdder();
    /** Threads waiting for room in an outbound queue now: readers paused, and group operations. */
    public final LongAdder waitingForRoom = new LongAdder();
    /** Fan-outs and group events waiting for room in the commit queue now: the disk is behind. */
    public final LongAdder waitingForCommitRoom = new LongAdder();
    public final LongAdder slowClientsCut = new LongAdder();
    public final LongAdder badFrames = new LongAdder();
    public final LongAdder mediaBytesStored = new LongAdder();
    public final Histogram commitBatchSize = new Histogram(1, 4, 16, 64, 256, 1024, 4096);
    public final Histogram commitLatencyMicros = new Histogram(250, 1000, 2500, 5000, 10_000, 25_000, 100_000);

    private final Map<String, LongAdder> framesIn = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> framesOut = new ConcurrentHashMap<>();
    private final Map<String, LongSupplier> gauges = new ConcurrentHashMap<>();

    public void frameIn(String type) {
        framesIn.computeIfAbsent(type, t -> new LongAdder()).increment();
    }

    public void frameOut(String type) {
        framesOut.computeIfAbsent(type, t -> new LongAdder()).increment();
    }

    /** Frames of this wire type read from clients so far (counted before they are dispatched). */
    public long framesIn(String type) {
        LongAdder n = framesIn.get(type);
        return n == null ? 0 : n.sum();
    }

    /** Frames of this wire type queued to clients so far. */
    public long framesOut(String type) {
        LongAdder n = framesOut.get(type);
        return n == null ? 0 : n.sum();
    }

    /** Registers a value read at scrape time, such as the number of open connections. */
    public void gauge(String name, LongSupplier value) {
        gauges.put(name, value);
    }

    /** A gauge's value now; fails if no gauge has that name. */
    public long gaugeValue(String name) {
        LongSupplier value = gauges.get(name);
        if (value == null) throw new IllegalArgumentException("no gauge named " + name);
        return value.getAsLong();
    }

    /** All metrics in the Prometheus text exposition format (version 0.0.4). */
    public String render() {
        StringBuilder b = new StringBuilder(4096);
        new java.util.TreeMap<>(gauges).forEach((name, v) -> line(b, name, "gauge", v.getAsLong()));
        counter(b, "loomchat_connections_opened_total", connectionsOpened);
        counter(b, "loomchat_connections_closed_total", connectionsClosed);
        counter(b, "loomchat_connections_refused_total", connectionsRefused);
        b.append("# TYPE loomchat_logins_total counter\n");
        b.append("loomchat_logins_total{kind=\"password\"} ").append(loginsPassword.sum()).append('\n');
        b.append("loomchat_logins_total{kind=\"token\"} ").append(loginsToken.sum()).append('\n');
        b.append("loomchat_logins_total{kind=\"failed\"} ").append(loginsFailed.sum()).append('\n');
        counter(b, "loomchat_registrations_total", registrations);
        counter(b, "loomchat_messages_sent_total", messagesSent);
        counter(b, "loomchat_inbox_items_written_total", itemsWritten);
        counter(b, "loomchat_inbox_items_skipped_total", itemsSkipped);
        counter(b, "loomchat_inbox_items_deleted_total", itemsDeleted);
        counter(b, "loomchat_last_seen_written_total", lastSeenWritten);
        counter(b, "loomchat_commit_batches_total", commitBatches);
        counter(b, "loomchat_commit_ops_total", commitOps);
        counter(b, "loomchat_commit_failures_total", commitFailures);
        b.append("# TYPE loomchat_commit_seconds_total counter\n")
                .append("loomchat_commit_seconds_total ").append(commitNanos.sum() / 1e9).append('\n');
        commitBatchSize.render(b, "loomchat_commit_batch_size");
        commitLatencyMicros.render(b, "loomchat_commit_latency_micros");
        counter(b, "loomchat_outbox_drops_total", outboxDrops);
        counter(b, "loomchat_group_members_skipped_total", groupMembersSkipped);
        line(b, "loomchat_waiting_for_room", "gauge", waitingForRoom.sum());
        line(b, "loomchat_waiting_for_commit_room", "gauge", waitingForCommitRoom.sum());
        counter(b, "loomchat_slow_clients_cut_total", slowClientsCut);
        counter(b, "loomchat_bad_frames_total", badFrames);
        counter(b, "loomchat_media_bytes_stored_total", mediaBytesStored);
        labelled(b, "loomchat_frames_in_total", framesIn);
        labelled(b, "loomchat_frames_out_total", framesOut);
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, LongAdder v) {
        line(b, name, "counter", v.sum());
    }

    private static void line(StringBuilder b, String name, String type, long v) {
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        b.append(name).append(' ').append(v).append('\n');
    }

    private static void labelled(StringBuilder b, String name, Map<String, LongAdder> byType) {
        b.append("# TYPE ").append(name).append(" counter\n");
        new java.util.TreeMap<>(byType).forEach((type, v) ->
                b.append(name).append("{type=\"").append(labelValue(type)).append("\"} ").append(v.sum()).append('\n'));
    }

    /** A label value as the text format wants it: backslash, double quote and newline escaped. */
    static String labelValue(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
