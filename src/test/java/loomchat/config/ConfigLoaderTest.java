package loomchat.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Settings: defaults, a YAML file, overrides, and refusals that name the key at fault. */
class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Path file(String yaml) throws Exception {
        Path f = dir.resolve("config.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        Config c = ConfigLoader.of(Map.of());
        assertEquals(7070, c.port());
        assertEquals(7071, c.httpPort());
        assertEquals(65536, c.maxFrameBytes());
        assertEquals(10, c.maxBadFrames());
        assertEquals(Duration.ofSeconds(300), c.idleTimeout());
        assertEquals(Duration.ofSeconds(30), c.loginTimeout());
        assertEquals(600_000, c.passwordIterations());
        assertEquals(Duration.ofMillis(20), c.groupCommitDelay());
        assertEquals(Duration.ofSeconds(1), c.ackGrace());
        assertEquals(10_000, c.sendKeysPerUser()); // the contract: a retry within 24 h or the last 10,000 sends
        assertEquals(Duration.ofHours(24), c.sendKeyTtl());
        assertNull(c.dbUrl());
    }

    @Test
    void unknownKeyIsRefusedByName() throws Exception {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file("port: 7070\nmax_frame_byte: 100\n"), Map.of()));
        assertTrue(e.getMessage().contains("max_frame_byte"), e.getMessage());
        assertTrue(e.getMessage().contains("config.yaml"), "names the file: " + e.getMessage());
    }

    @Test
    void unknownOverrideIsRefusedByName() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.of(Map.of("prot", 1)));
        assertTrue(e.getMessage().contains("'prot'"), e.getMessage());
    }

    @Test
    void badValueIsRefusedByName() throws Exception {
        ConfigException notANumber = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file("partitions: many\n"), Map.of()));
        assertTrue(notANumber.getMessage().contains("partitions"), notANumber.getMessage());

        ConfigException outOfRange = assertThrows(ConfigException.class, () -> ConfigLoader.of(Map.of("port", 70000)));
        assertTrue(outOfRange.getMessage().contains("port"), outOfRange.getMessage());

        ConfigException badDuration = assertThrows(ConfigException.class,
                () -> ConfigLoader.of(Map.of("idle_timeout", "5 minutes")));
        assertTrue(badDuration.getMessage().contains("idle_timeout"), badDuration.getMessage());
    }

    @Test
    void anInboxSmallerThanOneFrameIsRefused() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.of(Map.of("max_frame_bytes", 524_288, "max_inbox_bytes", 65_536)));
        assertTrue(e.getMessage().contains("max_inbox_bytes"), e.getMessage());
    }

    @Test
    void aSendersShareOfAnInboxSmallerThanOneFrameIsRefused() {
        // 65,536 bytes of inbox over 8 senders is 8 KiB each: a 64 KiB message could never be taken
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.of(Map.of("max_frame_bytes", 65_536, "max_inbox_bytes", 65_536)));
        assertTrue(e.getMessage().contains("inbox_senders_to_fill"), e.getMessage());
    }

    @Test
    void aPoolNoLargerThanTheCommitLanesIsRefused() {
        // every lane may hold a connection at once, leaving none for logins, groups and media
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.of(Map.of("commit_lanes", 8, "db_pool_size", 8)));
        assertTrue(e.getMessage().contains("db_pool_size") && e.getMessage().contains("commit_lanes"), e.getMessage());
    }

    @Test
    void durationsTakeAUnit() {
        Config c = ConfigLoader.of(Map.of("group_commit_delay", "5ms", "idle_timeout", "300s",
                "login_timeout", "2m", "send_key_ttl", "24h", "token_ttl", "30d"));
        assertEquals(Duration.ofMillis(5), c.groupCommitDelay());
        assertEquals(Duration.ofSeconds(300), c.idleTimeout());
        assertEquals(Duration.ofMinutes(2), c.loginTimeout());
        assertEquals(Duration.ofHours(24), c.sendKeyTtl());
        assertEquals(Duration.ofDays(30), c.tokenTtl());
        assertThrows(ConfigException.class, () -> ConfigLoader.of(Map.of("idle_timeout", "300")));
    }

    @Test
    void durationsOutsideTheirRangeAreRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.of(Map.of("idle_timeout", "10ms")));
        assertTrue(e.getMessage().contains("idle_timeout"), e.getMessage());
    }

    @Test
    void overridesWinOverTheFile() throws Exception {
        Config c = ConfigLoader.load(file("port: 9000\nhttp_port: 9001\n"), Map.of("port", 0));
        assertEquals(0, c.port());
        assertEquals(9001, c.httpPort());
    }

    @Test
    void numbersMayBeGivenAsText() {
        // command-line --set values arrive as strings
        assertEquals(1000, ConfigLoader.of(Map.of("password_iterations", "1000")).passwordIterations());
    }

    @Test
    void anEmptyFileMeansDefaults() throws Exception {
        assertEquals(7070, ConfigLoader.load(file("# nothing set\n"), Map.of()).port());
    }

    @Test
    void theProjectsConfigYamlLoadsAndNamesEveryKey() throws Exception {
        Path yaml = Path.of("config.yaml");
        assertTrue(Files.isRegularFile(yaml), "config.yaml at the project root");

        Config c = ConfigLoader.load(yaml, Map.of());

        assertEquals(7070, c.port());
        String text = Files.readString(yaml);
        for (String key : ConfigLoader.keys()) {
            assertTrue(text.matches("(?s).*(^|\\n)" + key + ":.*"), "config.yaml documents '" + key + "'");
        }
    }

    @Test
    void aFileThatIsNotAMapIsRefused() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file("- port\n- 7070\n"), Map.of()));
        assertFalse(e.getMessage().isBlank());
    }

    @Test
    void thePrintedSettingsReadBackAsAFileGiveTheSameSettings() throws Exception {
        // given the test settings and two more overrides
        Map<String, Object> overrides = new HashMap<>(ConfigLoader.forTests());
        overrides.putAll(Map.of("partitions", 128, "send_key_ttl", "12h"));
        Config original = ConfigLoader.load(null, overrides);

        // when they are printed and the print is loaded as a config file
        String yaml = ConfigLoader.effectiveYaml(null, overrides);
        Config reread = ConfigLoader.load(file(yaml), Map.of());

        // then nothing changed, and every key was there
        assertEquals(original, reread);
        for (String key : ConfigLoader.keys()) {
            assertTrue(yaml.contains("\n" + key + ":") || yaml.startsWith(key + ":"), key);
        }
    }

    @Test
    void thePrintedSettingsMaskPasswords() {
        String yaml = ConfigLoader.effectiveYaml(null, Map.of("db_password", "hunter2"));

        assertFalse(yaml.contains("hunter2"), yaml);
        assertTrue(yaml.contains("db_password: \"***\"") || yaml.contains("db_password: '***'"), yaml);
    }

    @Test
    void anUnknownKeyNamesTheClosestKnownOne() throws Exception {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file("max_frame_byte: 100\n"), Map.of()));

        assertTrue(e.getMessage().endsWith("unknown key 'max_frame_byte'; did you mean 'max_frame_bytes'?"),
                e.getMessage());
    }

    @Test
    void anUnknownKeyLikeNoKnownOneIsRefusedInOneShortLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.of(Map.of("colour", "red")));

        assertTrue(e.getMessage().contains("unknown key 'colour'"), e.getMessage());
        assertFalse(e.getMessage().contains("did you mean"), e.getMessage());
        assertTrue(e.getMessage().length() < 100, e.getMessage());
    }

    @Test
    void aKeyGivenTwiceInTheFileIsRefusedByName() throws Exception {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file("port: 7070\nbind: 0.0.0.0\nport: 9000\n"), Map.of()));

        assertTrue(e.getMessage().contains("'port'"), e.getMessage());
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    @Test
    void aFileThatIsNotYamlIsRefusedInOneLineWithItsLineNumber() throws Exception {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file("port: 7070\n  bind: [\n"), Map.of()));

        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void aMissingFileIsReportedAsNoSuchFile() {
        Path missing = dir.resolve("missing.yaml");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing, Map.of()));

        assertEquals(missing + ": no such file", e.getMessage());
    }

    @Test
    void aDurationRangeIsGivenInTheFilesOwnUnits() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.of(Map.of("idle_timeout", "10ms")));

        assertEquals("'idle_timeout' must be between 1s and 24h, not 10ms", e.getMessage());
    }

    @Test
    void aDurationWithMoreDigitsThanANumberHoldsIsRefusedByName() throws Exception {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file("idle_timeout: 99999999999999999999s\n"), Map.of()));

        assertTrue(e.getMessage().startsWith("'idle_timeout' must be between"), e.getMessage());
    }

    @Test
    void aDurationLongerThanADurationHoldsIsRefusedByName() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.of(Map.of("token_ttl", "9999999999999999d")));

        assertTrue(e.getMessage().startsWith("'token_ttl' must be between"), e.getMessage());
    }

    @Test
    void aBlankHashConcurrencyMeansOnePerCore() throws Exception {
        int cores = Math.max(1, Runtime.getRuntime().availableProcessors());

        assertEquals(cores, ConfigLoader.of(Map.of("hash_concurrency", "")).hashConcurrency()); // --set hash_concurrency=
        assertEquals(cores, ConfigLoader.load(file("hash_concurrency: \"\"\n"), Map.of()).hashConcurrency());
        assertEquals(cores, ConfigLoader.load(file("hash_concurrency:\n"), Map.of()).hashConcurrency());
    }
}
