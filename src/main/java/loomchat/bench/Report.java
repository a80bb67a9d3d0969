package loomchat.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** The result of one workload: named values in order, printed as a table or as one JSON line. */
final class Report {
    private final Map<String, Object> values = new LinkedHashMap<>();

    Report(String workload) {
        values.put("workload", workload);
    }

    Report put(String key, Object value) {
        values.put(key, value);
        return this;
    }

    Object get(String key) {
        return values.get(key);
    }

    /** p50, p90, p99, p99.9 and max of a microsecond histogram, in milliseconds. */
    Report latency(String prefix, Histogram h) {
        put(prefix + "_count", h.getTotalCount());
        put(prefix + "_p50_ms", millis(h.getValueAtPercentile(50)));
        put(prefix + "_p90_ms", millis(h.getValueAtPercentile(90)));
        put(prefix + "_p99_ms", millis(h.getValueAtPercentile(99)));
        put(prefix + "_p999_ms", millis(h.getValueAtPercentile(99.9)));
        put(prefix + "_max_ms", millis(h.getMaxValue()));
        return this;
    }

    /**
     * Adds the verdict of the measured round and its counts, and the warm-up's verdict: a
     * warm-up is not timed, but what it delivered is checked like the rest, to the end of the
     * run (a late warm-up message is checked when it arrives, in the measured round). The
     * warm-up's counts are added only when its verdict is false, to say what went wrong.
     *
     * @param warmUp the warm-up round, or null if there was none
     */
    Report delivery(Delivery measured, Delivery warmUp) {
        put("exactly_once_in_order", measured.exact());
        counts("", measured);
        if (warmUp != null) {
            put("warmup_exactly_once_in_order", warmUp.exact());
            if (!warmUp.exact()) counts("warmup_", warmUp);
        }
        put("stale_items_ignored", measured.stale.sum() + (warmUp == null ? 0 : warmUp.stale.sum()));
        return this;
    }

    private void counts(String prefix, Delivery d) {
        put(prefix + "missing", d.missing());
        put(prefix + "duplicates", d.duplicates.sum());
        put(prefix + "out_of_order", d.outOfOrder.sum());
        put(prefix + "misdelivered", d.misdelivered.sum());
    }

    /** True if the run was verified: no error, and every round's delivery exactly once and in order. */
    boolean verified() {
        return get("error") == null && Boolean.TRUE.equals(get("exactly_once_in_order"))
                && !Boolean.FALSE.equals(get("warmup_exactly_once_in_order"));
    }

    /**
     * Adds the server's write-back over a run, from its {@code /metrics} before and after: inbox
     * items written to disk and items skipped because their ack came first. When the figures
     * cannot be trusted, adds {@code write_back_unknown} with the reason instead, and says so in
     * one line on {@code warnings}, so that they do not just vanish from the report.
     *
     * @param sendsAnswered sends of the measured round the server answered with {@code ok}: the
     *                      scraped server must have counted at least as many, or it is not the
     *                      server under load (see {@link ServerMetrics#writeBackUnknown})
     */
    Report writeBack(ServerMetrics.Scrape before, ServerMetrics.Scrape after, long sendsAnswered,
                     PrintStream warnings) {
        String unknown = ServerMetrics.writeBackUnknown(before, after, sendsAnswered);
        if (unknown != null) {
            if (before.asked()) warnings.println("warning: write-back figures unknown: " + unknown);
            return put("write_back_unknown", unknown);
        }
        long written = ServerMetrics.delta(before.values(), after.values(), ServerMetrics.WRITTEN);
        long skipped = ServerMetrics.delta(before.values(), after.values(), ServerMetrics.SKIPPED);
        put("inbox_items_written", written).put("inbox_items_skipped", skipped);
        if (written + skipped > 0) put("inbox_skipped_pct", round(100.0 * skipped / (written + skipped), 2));
        return this;
    }

    /**
     * Adds the CPU used between two samples, by the server, the generator and the whole machine
     * (as a share of all its cores), and the server's peak RSS when it can be watched: since the
     * start of the measured phase if the probe could restart the peak there
     * ({@link CpuSample#startMeasuring}), else since the server started, as
     * {@code server_peak_rss_since} says.
     */
    Report cpu(ServerProbe probe, CpuSample before, CpuSample after) {
        if (probe != null) {
            put("server_cpu_s", round(after.serverSeconds() - before.serverSeconds(), 2));
            put("server_peak_rss_mib", round(probe.peakRssKiB() / 1024.0, 1));
            put("server_peak_rss_since", probe.peakRssSince());
        }
        put("generator_cpu_s", round(after.generatorSeconds() - before.generatorSeconds(), 2));
        long ticks = after.machineTicks() - before.machineTicks();
        if (before.machineTicks() >= 0 && ticks > 0) {
            put("machine_busy_pct", round(100.0 * (after.machineBusyTicks() - before.machineBusyTicks()) / ticks, 1));
        }
        return this;
    }

    void print(PrintStream out, boolean json) {
        if (json) {
            try {
                out.println(new ObjectMapper().writeValueAsString(values));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            return;
        }
        int width = values.keySet().stream().mapToInt(String::length).max().orElse(10);
        for (Map.Entry<String, Object> e : values.entrySet()) {
            out.printf(Locale.ROOT, "%-" + width + "s  %s%n", e.getKey(), format(e.getValue()));
        }
        out.println();
    }

    private static String format(Object v) {
        if (v instanceof Double d) return String.format(Locale.ROOT, "%,.2f", d);
        if (v instanceof Long || v instanceof Integer) return String.format(Locale.ROOT, "%,d", v);
        return String.valueOf(v);
    }

    static double millis(long micros) {
        return round(micros / 1000.0, 3);
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
