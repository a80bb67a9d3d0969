package loomchat.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import loomchat.testing.ServerTest;
import loomchat.testing.Wire;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code GET /metrics}: valid Prometheus text, every family the operators need, and counters
 * that move when the server does the thing they count.
 */
class MetricsEndpointTest extends ServerTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern TYPE = Pattern.compile("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\"\\\\n])*)\"(,|$)");

    @Override
    protected Map<String, ?> settings() {
        // A long batching delay, so that a recipient online acks before its item is written.
        return Map.of("group_commit_delay", "300ms");
    }

    @Test
    void metricsAreValidPrometheusText() throws Exception {
        try (Wire alice = server.userOnline("alice")) {
            alice.request("{'type':'ping','id':'p'}", "p");

            HttpResponse<String> r = get("/metrics");

            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
            parse(r.body()); // fails the test on any malformed line
        }
    }

    @Test
    void everyFamilyOperatorsNeedIsExposed() throws Exception {
        Map<String, Family> families = parse(get("/metrics").body());

        for (String name : List.of("loomchat_connections_open", "loomchat_logins_total",
                "loomchat_frames_in_total", "loomchat_frames_out_total", "loomchat_messages_sent_total",
                "loomchat_inbox_items_written_total", "loomchat_inbox_items_skipped_total",
                "loomchat_commit_batch_size", "loomchat_commit_latency_micros", "loomchat_outbox_drops_total",
                "loomchat_media_bytes_stored_total")) {
            assertTrue(families.containsKey(name), "missing family " + name);
        }
        assertEquals("histogram", families.get("loomchat_commit_batch_size").type());
        assertEquals("histogram", families.get("loomchat_commit_latency_micros").type());
        for (String kind : List.of("password", "token", "failed")) {
            assertTrue(families.get("loomchat_logins_total").samples().containsKey("loomchat_logins_total{kind=\"" + kind + "\"}"),
                    "logins of kind " + kind);
        }
    }

    @Test
    void countersMoveWithWhatTheyCount() throws Exception {
        Map<String, Double> before = samples(parse(get("/metrics").body()));

        String token;
        try (Wire first = server.connect()) {
            first.register("alice");
            token = first.login("alice").path("token").asText();
        }
        try (Wire alice = server.connect(); Wire bob = server.userOnline("bob")) {
            // alice comes back with her token; someone else fails to log in as her
            JsonNode byToken = alice.request("{'type':'login','id':'t','user':'alice','token':'" + token + "'}", "t");
            assertEquals("ok", byToken.path("type").asText());
            try (Wire wrong = server.connect()) {
                JsonNode refused = wrong.request("{'type':'login','id':'w','user':'alice','password':'not the password'}", "w");
                assertEquals("bad_credentials", refused.path("code").asText());
            }
            try (Wire carol = server.connect()) {
                carol.register("carol"); // offline from here on: her item must be written
            }
            // a first message to bob (its batch also reserves his first seq numbers, so it is
            // pushed only once written), then one he acks at once: skipped; one to carol: written
            assertEquals("ok", alice.request("{'type':'send','id':'s0','to':'bob','body':'hello'}", "s0")
                    .path("type").asText());
            bob.send("{'type':'ack','seq':" + bob.next("msg").path("seq").asLong() + "}");
            alice.send("{'type':'send','id':'s1','to':'bob','body':'hi bob'}");
            JsonNode item = bob.next("msg");
            bob.send("{'type':'ack','seq':" + item.path("seq").asLong() + "}");
            assertEquals("ok", alice.reply("s1").path("type").asText());
            assertEquals("ok", alice.request("{'type':'send','id':'s2','to':'carol','body':'hi carol'}", "s2")
                    .path("type").asText());
            HttpResponse<String> upload = HTTP.send(HttpRequest.newBuilder(uri("/media"))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[1000])).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, upload.statusCode());

            Map<String, Double> after = samples(parse(get("/metrics").body()));

            assertTrue(after.get("loomchat_connections_open") >= 2, "alice and bob are connected");
            assertEquals(2, delta(before, after, "loomchat_logins_total{kind=\"password\"}"), "alice and bob");
            assertEquals(1, delta(before, after, "loomchat_logins_total{kind=\"token\"}"));
            assertEquals(1, delta(before, after, "loomchat_logins_total{kind=\"failed\"}"));
            assertEquals(3, delta(before, after, "loomchat_messages_sent_total"));
            assertEquals(1, delta(before, after, "loomchat_inbox_items_skipped_total"), "bob's acked item");
            assertTrue(delta(before, after, "loomchat_inbox_items_written_total") >= 2, "bob's first and carol's");
            assertEquals(3, delta(before, after, "loomchat_frames_in_total{type=\"send\"}"));
            assertEquals(2, delta(before, after, "loomchat_frames_in_total{type=\"ack\"}"));
            assertTrue(delta(before, after, "loomchat_frames_out_total{type=\"msg\"}") >= 1);
            assertTrue(delta(before, after, "loomchat_commit_batch_size_count") >= 1);
            assertTrue(delta(before, after, "loomchat_commit_latency_micros_count") >= 1);
            assertEquals(1000, delta(before, after, "loomchat_media_bytes_stored_total"));
        }
    }

    // ---------------------------------------------------------------- the text format

    /** A metric family: its declared type and its samples (name with labels → value), in order. */
    record Family(String type, Map<String, Double> samples) {
    }

    /**
     * Parses the exposition, failing on what a Prometheus server would reject or misread: a
     * sample without a TYPE line before it, a family declared twice or split in two, a bad
     * label, a value that is not a number, a histogram whose buckets do not add up.
     */
    static Map<String, Family> parse(String text) {
        assertTrue(text.endsWith("\n"), "the exposition ends with a newline");
        Map<String, Family> families = new LinkedHashMap<>();
        Set<String> closed = new HashSet<>();
        String current = null;
        for (String line : text.split("\n")) {
            if (line.startsWith("#")) {
                Matcher t = TYPE.matcher(line);
                if (t.matches()) {
                    String name = t.group(1);
                    if (families.containsKey(name)) fail("family declared twice: " + name);
                    if (current != null) closed.add(current);
                    current = name;
                    families.put(name, new Family(t.group(2), new LinkedHashMap<>()));
                } else if (!line.startsWith("# HELP ")) {
                    fail("unexpected comment line: " + line);
                }
                continue;
            }
            Matcher s = SAMPLE.matcher(line);
            if (!s.matches()) fail("not a sample line: '" + line + "'");
            String name = s.group(1);
            String family = familyOf(name, families);
            if (family == null) fail("sample without a TYPE line: " + line);
            if (closed.contains(family) || !family.equals(current)) fail("family " + family + " is split: " + line);
            if (s.group(2) != null) checkLabels(s.group(2), line);
            double value = number(s.group(3), line);
            String key = s.group(2) == null ? name : name + "{" + s.group(2) + "}";
            if (families.get(family).samples().put(key, value) != null) fail("sample repeated: " + key);
        }
        families.forEach((name, f) -> {
            if (f.type().equals("histogram")) checkHistogram(name, f.samples());
        });
        return families;
    }

    private static String familyOf(String sample, Map<String, Family> families) {
        if (families.containsKey(sample)) return families.get(sample).type().equals("histogram") ? null : sample;
        for (String suffix : List.of("_bucket", "_sum", "_count")) {
            if (sample.endsWith(suffix)) {
                String base = sample.substring(0, sample.length() - suffix.length());
                Family f = families.get(base);
                if (f != null && f.type().equals("histogram")) return base;
            }
        }
        return null;
    }

    private static void checkLabels(String labels, String line) {
        Matcher m = LABEL.matcher(labels);
        int at = 0;
        Set<String> names = new HashSet<>();
        while (at < labels.length()) {
            if (!m.find(at) || m.start() != at) fail("bad labels in: " + line);
            if (!names.add(m.group(1))) fail("label repeated in: " + line);
            at = m.end();
        }
    }

    private static double number(String v, String line) {
        return switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> {
                try {
                    yield Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    yield fail("not a number in: " + line);
                }
            }
        };
    }

    private static void checkHistogram(String name, Map<String, Double> samples) {
        List<Double> buckets = new ArrayList<>();
        samples.forEach((k, v) -> {
            if (k.startsWith(name + "_bucket{")) buckets.add(v);
        });
        assertTrue(samples.containsKey(name + "_bucket{le=\"+Inf\"}"), name + " has a +Inf bucket");
        for (int i = 1; i < buckets.size(); i++) {
            assertTrue(buckets.get(i) >= buckets.get(i - 1), name + " buckets are cumulative");
        }
        assertEquals(samples.get(name + "_count"), samples.get(name + "_bucket{le=\"+Inf\"}"), name + ": +Inf bucket = count");
        assertTrue(samples.containsKey(name + "_sum"), name + " has a sum");
    }

    private static Map<String, Double> samples(Map<String, Family> families) {
        Map<String, Double> all = new HashMap<>();
        families.values().forEach(f -> all.putAll(f.samples()));
        return all;
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String key) {
        assertTrue(after.containsKey(key), "no sample " + key);
        return after.get(key) - before.getOrDefault(key, 0.0);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.httpPort() + path);
    }
}
