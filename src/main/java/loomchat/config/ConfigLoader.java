package loomchat.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
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
 * default), and a bad value stops the start with a message naming the key. Durations are written
 * as a number with a unit: {@code 5ms}, {@code 300s}, {@code 30m}, {@code 24h}, {@code 30d}.
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
        HttpLimits http = HttpLimits.defaults();
        d.put("http_max_connections", http.maxConnections());
        d.put("http_per_address", http.perAddress());
        d.put("http_header_timeout", http.headerTimeout().toSeconds() + "s");
        d.put("http_idle_timeout", http.idleTimeout().toSeconds() + "s");
        d.put("http_transfer_timeout", http.transferTimeout().toSeconds() + "s");
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
     * Loads settings.
     *
     * @param file a YAML file, or null for defaults only
     * @param overrides keys to values (strings or numbers) that win over the file, e.g. from flags
     */
    public static Config load(Path file, Map<String, ?> overrides) {
        return load(Map.of(), file, overrides);
    }

    /**
     * Loads settings with one more layer, beneath the file: defaults, then {@code beneath} (such
     * as {@link #forTests()}), then the file, then {@code overrides}.
     */
    public static Config load(Map<String, ?> beneath, Path file, Map<String, ?> overrides) {
        Config config = build(merged(beneath, file, overrides));
        // Else a message as large as a frame may be would be refused by every inbox, forever: by
        // the inbox's cap, or by one sender's share of it.
        long share = config.maxInboxBytes() / config.inboxSendersToFill();
        if (share < config.maxFrameBytes()) {
            throw new ConfigException("'max_inbox_bytes' / 'inbox_senders_to_fill' (" + share
                    + ") must be at least 'max_frame_bytes' (" + config.maxFrameBytes() + ")");
        }
        if (config.maxInboxItems() / config.inboxSendersToFill() < 1) {
            throw new ConfigException("'inbox_senders_to_fill' (" + config.inboxSendersToFill()
                    + ") must be at most 'max_inbox_items' (" + config.maxInboxItems() + ")");
        }
        return config;
    }

    /**
     * Every setting that {@link #load(Map, Path, Map)} with the same arguments uses, as YAML with
     * config.yaml's keys in the order of the defaults above, passwords masked: so that the keys
     * and their effective values can be found from the jar alone. Checks the settings first.
     */
    public static String effectiveYaml(Map<String, ?> beneath, Path file, Map<String, ?> overrides) {
        load(beneath, file, overrides);
        ObjectNode merged = merged(beneath, file, overrides);
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

    private static ObjectNode merged(Map<String, ?> beneath, Path file, Map<String, ?> overrides) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode merged = json.valueToTree(DEFAULTS);
        merge(merged, json.valueToTree(beneath), "settings beneath the file");
        if (file != null) {
            JsonNode fromFile;
            try {
                fromFile = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
            } catch (IOException e) {
                throw new ConfigException(file + ": cannot read: " + e.getMessage());
            }
            if (fromFile != null && !fromFile.isNull() && !fromFile.isMissingNode()) {
                if (!fromFile.isObject()) throw new ConfigException(file + ": must be a map of settings");
                merge(merged, fromFile, file.toString());
            }
        }
        merge(merged, json.valueToTree(overrides), "override");
        return merged;
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
     * directory).
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
                throw new ConfigException(source + ": unknown key '" + e.getKey() + "' (known: "
                        + String.join(", ", new java.util.TreeSet<>(DEFAULTS.keySet())) + ")");
            }
            if (!e.getValue().isNull()) into.set(e.getKey(), e.getValue());
        }
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
                duration(n, "group_commit_delay", Duration.ZERO, Duration.ofSeconds(1)),
                duration(n, "ack_grace", Duration.ZERO, Duration.ofSeconds(60)),
                integer(n, "group_commit_max_batch", 1, 1_000_000),
                longInteger(n, "group_commit_max_batch_bytes", 1024, 1L << 30),
                integer(n, "commit_queue_capacity", 16, 10_000_000),
                integer(n, "max_frame_bytes", 1024, FrameCodec.MAX_FRAME_BYTES_LIMIT),
                integer(n, "max_bad_frames", 1, 1_000_000),
                duration(n, "idle_timeout", Duration.ofSeconds(1), Duration.ofDays(1)),
                duration(n, "login_timeout", Duration.ofMillis(100), Duration.ofHours(1)),
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
                        duration(n, "http_header_timeout", Duration.ofMillis(100), Duration.ofHours(1)),
                        duration(n, "http_idle_timeout", Duration.ofMillis(100), Duration.ofHours(1)),
                        duration(n, "http_transfer_timeout", Duration.ofSeconds(1), Duration.ofDays(1))),
                integer(n, "password_iterations", 1, 100_000_000),
                integer(n, "hash_concurrency", 1, 1024),
                duration(n, "token_ttl", Duration.ofSeconds(1), Duration.ofDays(3650)),
                integer(n, "tokens_per_user", 1, 1000),
                integer(n, "send_keys_per_user", 1, 1_000_000),
                duration(n, "send_key_ttl", Duration.ofSeconds(1), Duration.ofDays(365)),
                integer(n, "max_group_size", 2, 1_000_000),
                integer(n, "max_groups_per_user", 1, 1_000_000),
                integer(n, "max_subscriptions", 1, 10_000_000),
                duration(n, "media_ttl", Duration.ofMillis(1), Duration.ofDays(3650)),
                longInteger(n, "max_media_bytes", 1, 1L << 40),
                longInteger(n, "media_quota", 1, 1L << 50),
                longInteger(n, "media_min_free_bytes", 0, 1L << 50),
                integer(n, "send_rate", 1, 10_000_000),
                integer(n, "send_burst", 1, 10_000_000),
                integer(n, "login_failures_per_user", 1, 1_000_000),
                integer(n, "login_failures_per_address", 1, 1_000_000),
                duration(n, "login_failure_window", Duration.ofSeconds(1), Duration.ofDays(1)),
                integer(n, "registrations_per_address", 1, 100_000_000),
                duration(n, "registration_window", Duration.ofSeconds(1), Duration.ofDays(1)),
                duration(n, "write_stall_timeout", Duration.ofMillis(100), Duration.ofHours(1)),
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

    private static Duration duration(ObjectNode n, String key, Duration min, Duration max) {
        String s = n.get(key).asText().trim();
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw new ConfigException("'" + key + "' must be a duration such as 5ms, 300s, 30m, 24h or 30d, not '"
                    + s + "'");
        }
        long v = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(v);
            case "s" -> Duration.ofSeconds(v);
            case "m" -> Duration.ofMinutes(v);
            case "h" -> Duration.ofHours(v);
            default -> Duration.ofDays(v);
        };
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new ConfigException("'" + key + "' must be between " + min + " and " + max + ", not " + s);
        }
        return d;
    }
}
