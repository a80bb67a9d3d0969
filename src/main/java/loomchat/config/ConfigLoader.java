package loomchat.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import loomchat.protocol.FrameCodec;

/**
 * Builds a {@link Config} from defaults, an optional YAML file and overrides, in that order.
 *
 * <p>Every key is checked: an unknown key is refused (a typo should not silently fall back to a
 * default), and so is a key given twice in the file; a bad value stops the start with a message
 * naming the key. Durations are written as a number with a unit: {@code 5ms}, {@code 300s},
 * {@code 30m}, {@code 24h}, {@code 30d}.
 */
public final class ConfigLoader {
    private static final Pattern DURATION = Pattern.compile("^(\\d+)\\s*(ms|s|m|h|d)$");

    /** Built-in defaults; config.yaml at the project root documents the same keys. */
    private static final Map<String, Object> DEFAULTS = defaults();

    private static Map<String, Object> defaults() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("server_name", "loomchat");
        d.put("bind", "0.0.0.0");
        d.put("port", 7070);
        d.put("http_port", 7071);
        d.put("data_dir", "./data");
        d.put("db_url", "");
        d.put("db_user", "sa");
        d.put("db_password", "");
        d.put("db_pool_size", 8);
        d.put("partitions", 64);
        d.put("commit_lanes", 2);
        d.put("group_commit_delay", "20ms");
        d.put("ack_grace", "1s");
        d.put("group_commit_max_batch", 4096);
        d.put("group_commit_max_batch_bytes", 8L * 1024 * 1024);
        d.put("commit_queue_capacity", 65536);
        d.put("max_frame_bytes", 65536);
        d.put("max_bad_frames", 10);
        d.put("idle_timeout", "300s");
        d.put("login_timeout", "30s");
        d.put("outbox_capacity", 1024);
        d.put("socket_send_buffer", 65536);
        d.put("max_inbox_items", 100_000);
        d.put("max_inbox_bytes", 32L * 1024 * 1024);
        d.put("inbox_senders_to_fill", 8);
        d.put("max_connections", 100_000);
        d.put("anonymous_per_address", 1000);
        d.put("http_max_connections", 10_000);
        d.put("http_per_address", 256);
        d.put("http_header_timeout", "10s");
        d.put("http_idle_timeout", "30s");
        d.put("http_transfer_timeout", "300s");
        d.put("password_iterations", 600_000);
        d.put("hash_concurrency", Math.max(1, Runtime.getRuntime().availableProcessors()));
        d.put("token_ttl", "30d");
        d.put("tokens_per_user", 10);
        d.put("send_keys_per_user", 10_000);
        d.put("send_key_ttl", "24h");
        d.put("max_group_size", 1024);
        d.put("max_groups_per_user", 1000);
        d.put("max_subscriptions", 10_000);
        d.put("media_ttl", "30d");
        d.put("max_media_bytes", 16L * 1024 * 1024);
        d.put("media_quota", 1024L * 1024 * 1024);
        d.put("media_min_free_bytes", 512L * 1024 * 1024);
        d.put("send_rate", 500);
        d.put("send_burst", 1000);
        d.put("login_failures_per_user", 10);
        d.put("login_failures_per_address", 50);
        d.put("login_failure_window", "5m");
        d.put("registrations_per_address", 100);
        d.put("registration_window", "10m");
        d.put("write_stall_timeout", "30s");
        d.put("tls_keystore", "");
        d.put("tls_keystore_password", "");
        return java.util.Collections.unmodifiableMap(d); // in order: the printed settings keep it
    }

    private ConfigLoader() {
    }

    /** The keys a config file may use. */
    public static Set<String> keys() {
        return DEFAULTS.keySet();
    }

    /**
     * Loads settings: the defaults, then {@code file}, then {@code overrides}.
     *
     * @param file a YAML file, or null for defaults only
     * @param overrides keys to values (strings or numbers) that win over the file, e.g. from flags
     */
    public static Config load(Path file, Map<String, ?> overrides) {
        Config config = build(merged(file, overrides));
        // Else a message as large as a frame may be would be refused by every inbox, forever: by
        // the inbox's cap, or by one sender's share of it.
        long share = config.maxInboxBytes() / config.inboxSendersToFill();
        if (share < config.maxFrameBytes()) {
            throw new ConfigException("'max_inbox_bytes' / 'inbox_senders_to_fill' (" + share
                    + ") must be at least 'max_frame_bytes' (" + config.maxFrameBytes() + ")");
        }
        // Each lane holds a pooled connection while it writes a batch; logins, groups and media
        // need theirs too. With no connection left over, they would wait out the pool's timeout.
        if (config.dbPoolSize() <= config.commitLanes()) {
            throw new ConfigException("'db_pool_size' (" + config.dbPoolSize() + ") must be more than 'commit_lanes' ("
                    + config.commitLanes() + "): each lane holds a database connection while it writes");
        }
        if (config.maxInboxItems() / config.inboxSendersToFill() < 1) {
            throw new ConfigException("'inbox_senders_to_fill' (" + config.inboxSendersToFill()
                    + ") must be at most 'max_inbox_items' (" + config.maxInboxItems() + ")");
        }
        return config;
    }

    /**
     * Every setting that {@link #load(Path, Map)} with the same arguments uses, as YAML with
     * config.yaml's keys in the order of the defaults above, passwords masked: so that the keys
     * and their effective values can be found from the jar alone. Checks the settings first.
     */
    public static String effectiveYaml(Path file, Map<String, ?> overrides) {
        load(file, overrides);
        ObjectNode merged = merged(file, overrides);
        ObjectNode ordered = new ObjectMapper().createObjectNode();
        for (String key : DEFAULTS.keySet()) {
            boolean secret = key.endsWith("password") && !merged.get(key).asText().isEmpty();
            ordered.set(key, secret ? ordered.textNode("***") : merged.get(key));
        }
        try {
            return new ObjectMapper(YAMLFactory.builder()
                    .disable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .build()).writeValueAsString(ordered);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write settings as YAML", e);
        }
    }

    private static ObjectNode merged(Path file, Map<String, ?> overrides) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode merged = json.valueToTree(DEFAULTS);
        if (file != null) {
            JsonNode fromFile = read(file);
            if (fromFile != null && !fromFile.isNull() && !fromFile.isMissingNode()) {
                if (!fromFile.isObject()) throw new ConfigException(file + ": must be a map of settings");
                merge(merged, fromFile, file.toString());
            }
        }
        merge(merged, json.valueToTree(overrides), "override");
        // config.yaml leaves it empty for the default, one per core; `--set hash_concurrency=` says the same
        JsonNode hashConcurrency = merged.get("hash_concurrency");
        if (hashConcurrency.isTextual() && hashConcurrency.asText().isBlank()) {
            merged.set("hash_concurrency", json.valueToTree(DEFAULTS.get("hash_concurrency")));
        }
        return merged;
    }

    /** The YAML in {@code file}. A key given twice is refused: the second would silently win. */
    private static JsonNode read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new ConfigException(file + ": permission denied");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        try {
            return new ObjectMapper(YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
                    .readTree(text);
        } catch (JsonProcessingException e) {
            // The YAML parser's own message runs over several lines, with a caret under the column.
            String what = e.getOriginalMessage().lines().findFirst().orElse("not YAML");
            int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            throw new ConfigException(file + (line > 0 ? ", line " + line : "") + ": " + what);
        }
    }

    /**
     * The settings of {@code serve --for-tests}, for a server that a test suite starts on one
     * machine, keys as in config.yaml. Each one, and why:
     * <ul>
     * <li>{@code bind=127.0.0.1}: the tests' clients are local; nobody else should reach a server
     *     with these settings.
     * <li>{@code password_iterations=1000}: at the production cost (600,000) every registration
     *     and password login takes about a second of CPU.
     * <li>{@code ack_grace=200ms}: test clients often leave items unacknowledged while they look at
     *     something else, and a sender's {@code ok} then waits this long (1 s by default); shorter
     *     keeps a suite quick and still exercises the held path.
     * <li>{@code registrations_per_address}, {@code login_failures_per_user} and
     *     {@code login_failures_per_address} at 1,000,000: every test client comes from 127.0.0.1,
     *     so the defaults (100 registrations per 10 min, 10 and 50 failed logins per 5 min) would
     *     soon answer every registration or login of a suite with {@code rate_limited}.
     * <li>{@code media_min_free_bytes=0}: a test runner's temporary disk may have less than the
     *     default 512 MiB free, and every upload would get 507.
     * </ul>
     * Ports and the data directory are not among them: a test passes its own (port 0, a temporary
     * directory). {@code serve} lays them over the config file, not beneath it: config.yaml sets
     * every key, so that beneath it they would never apply.
     */
    public static Map<String, Object> forTests() {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("bind", "127.0.0.1");
        t.put("password_iterations", 1000);
        t.put("ack_grace", "200ms");
        t.put("registrations_per_address", 1_000_000);
        t.put("login_failures_per_user", 1_000_000);
        t.put("login_failures_per_address", 1_000_000);
        t.put("media_min_free_bytes", 0);
        return t;
    }

    /** Settings from defaults and the given overrides only: what tests use. */
    public static Config of(Map<String, ?> overrides) {
        return load(null, overrides);
    }

    private static void merge(ObjectNode into, JsonNode from, String source) {
        for (Iterator<Map.Entry<String, JsonNode>> it = from.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!DEFAULTS.containsKey(e.getKey())) {
                String closest = closestKey(e.getKey());
                throw new ConfigException(source + ": unknown key '" + e.getKey() + "'" + (closest != null
                        ? "; did you mean '" + closest + "'?"
                        : " (serve --print-config lists every key)"));
            }
            if (!e.getValue().isNull()) into.set(e.getKey(), e.getValue());
        }
    }

    /** The known key that {@code typo} is likely a misspelling of, or null if none is close. */
    private static String closestKey(String typo) {
        String closest = null;
        int best = Math.max(2, typo.length() / 3) + 1; // a third of it wrong is a different word
        for (String key : DEFAULTS.keySet()) {
            int d = editDistance(typo, key);
            if (d < best) {
                closest = key;
                best = d;
            }
        }
        return closest;
    }

    /** How many characters must be inserted, deleted or replaced to make {@code a} into {@code b} (Levenshtein). */
    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) previous[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int replace = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(replace, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    private static Config build(ObjectNode n) {
        String dbUrl = text(n, "db_url");
        return new Config(
                nonEmpty(n, "server_name"),
                nonEmpty(n, "bind"),
                integer(n, "port", 0, 65535),
                integer(n, "http_port", 0, 65535),
                Path.of(nonEmpty(n, "data_dir")),
                dbUrl.isBlank() ? null : dbUrl,
                text(n, "db_user"),
                text(n, "db_password"),
                integer(n, "db_pool_size", 2, 256),
                integer(n, "partitions", 1, 65536),
                integer(n, "commit_lanes", 1, 64),
                duration(n, "group_commit_delay", "0ms", "1s"),
                duration(n, "ack_grace", "0ms", "60s"),
                integer(n, "group_commit_max_batch", 1, 1_000_000),
                longInteger(n, "group_commit_max_batch_bytes", 1024, 1L << 30),
                integer(n, "commit_queue_capacity", 16, 10_000_000),
                integer(n, "max_frame_bytes", 1024, FrameCodec.MAX_FRAME_BYTES_LIMIT),
                integer(n, "max_bad_frames", 1, 1_000_000),
                duration(n, "idle_timeout", "1s", "24h"),
                duration(n, "login_timeout", "100ms", "1h"),
                integer(n, "outbox_capacity", 8, 1_000_000),
                socketSendBuffer(n),
                integer(n, "max_inbox_items", 16, 100_000_000),
                longInteger(n, "max_inbox_bytes", 64 * 1024, 1L << 40),
                integer(n, "inbox_senders_to_fill", 1, 1000),
                integer(n, "max_connections", 1, 10_000_000),
                integer(n, "anonymous_per_address", 1, 10_000_000),
                new HttpLimits(
                        integer(n, "http_max_connections", 1, 1_000_000),
                        integer(n, "http_per_address", 1, 1_000_000),
                        duration(n, "http_header_timeout", "100ms", "1h"),
                        duration(n, "http_idle_timeout", "100ms", "1h"),
                        duration(n, "http_transfer_timeout", "1s", "24h")),
                integer(n, "password_iterations", 1, 100_000_000),
                integer(n, "hash_concurrency", 1, 1024),
                duration(n, "token_ttl", "1s", "3650d"),
                integer(n, "tokens_per_user", 1, 1000),
                integer(n, "send_keys_per_user", 1, 1_000_000),
                duration(n, "send_key_ttl", "1s", "365d"),
                integer(n, "max_group_size", 2, 1_000_000),
                integer(n, "max_groups_per_user", 1, 1_000_000),
                integer(n, "max_subscriptions", 1, 10_000_000),
                duration(n, "media_ttl", "1ms", "3650d"),
                longInteger(n, "max_media_bytes", 1, 1L << 40),
                longInteger(n, "media_quota", 1, 1L << 50),
                longInteger(n, "media_min_free_bytes", 0, 1L << 50),
                integer(n, "send_rate", 1, 10_000_000),
                integer(n, "send_burst", 1, 10_000_000),
                integer(n, "login_failures_per_user", 1, 1_000_000),
                integer(n, "login_failures_per_address", 1, 1_000_000),
                duration(n, "login_failure_window", "1s", "24h"),
                integer(n, "registrations_per_address", 1, 100_000_000),
                duration(n, "registration_window", "1s", "24h"),
                duration(n, "write_stall_timeout", "100ms", "1h"),
                text(n, "tls_keystore").isBlank() ? null : Path.of(text(n, "tls_keystore")),
                text(n, "tls_keystore_password"));
    }

    /** 0 (the kernel's autotuning), or a size the kernel can take. */
    private static int socketSendBuffer(ObjectNode n) {
        int bytes = integer(n, "socket_send_buffer", 0, 64 * 1024 * 1024);
        if (bytes != 0 && bytes < 4096) throw new ConfigException("'socket_send_buffer' must be 0 or at least 4096");
        return bytes;
    }

    private static String text(ObjectNode n, String key) {
        JsonNode v = n.get(key);
        if (!v.isValueNode()) throw new ConfigException("'" + key + "' must be a string");
        return v.asText();
    }

    private static String nonEmpty(ObjectNode n, String key) {
        String s = text(n, key);
        if (s.isBlank()) throw new ConfigException("'" + key + "' must not be empty");
        return s;
    }

    private static int integer(ObjectNode n, String key, int min, int max) {
        return (int) longInteger(n, key, min, max);
    }

    private static long longInteger(ObjectNode n, String key, long min, long max) {
        JsonNode v = n.get(key);
        long value;
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            value = v.asLong();
        } else if (v.isTextual() && v.asText().trim().matches("-?\\d{1,18}")) {
            value = Long.parseLong(v.asText().trim());
        } else {
            throw new ConfigException("'" + key + "' must be a whole number from " + min + " to " + max
                    + ", not '" + v.asText() + "'");
        }
        if (value < min || value > max) {
            throw new ConfigException("'" + key + "' must be from " + min + " to " + max + ", not " + value);
        }
        return value;
    }

    /** The duration at {@code key}, from {@code min} to {@code max}, both written as in config.yaml. */
    private static Duration duration(ObjectNode n, String key, String min, String max) {
        String s = n.get(key).asText().trim();
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw new ConfigException("'" + key + "' must be a duration such as 5ms, 300s, 30m, 24h or 30d, not '"
                    + s + "'");
        }
        Duration d = parseDuration(m);
        if (d == null || d.compareTo(parseDuration(min)) < 0 || d.compareTo(parseDuration(max)) > 0) {
            throw new ConfigException("'" + key + "' must be between " + min + " and " + max + ", not " + s);
        }
        return d;
    }

    private static Duration parseDuration(String s) {
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) throw new IllegalArgumentException("not a duration: " + s);
        return parseDuration(m);
    }

    /** The duration that {@code m} matched, or null if its number does not fit in a long, or its seconds. */
    private static Duration parseDuration(Matcher m) {
        try {
            long v = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(v);
                case "s" -> Duration.ofSeconds(v);
                case "m" -> Duration.ofMinutes(v);
                case "h" -> Duration.ofHours(v);
                default -> Duration.ofDays(v);
            };
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }
}
