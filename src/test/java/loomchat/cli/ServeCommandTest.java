package loomchat.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import loomchat.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code serve}: which settings win, and a start that fails saying what failed, in one line. */
class ServeCommandTest {
    @TempDir
    Path dir;

    @Test
    void forTestsWinsOverTheProjectsConfigYaml() throws Exception {
        // given the project's config.yaml, which sets every key it documents

        // when serve --for-tests reads it and prints the settings it would run with
        Cli.Result r = Cli.run("serve", "--for-tests", "--config", "config.yaml", "--print-config");

        // then every test setting is in force
        assertEquals(0, r.code(), String.join("\n", r.err()));
        JsonNode printed = new ObjectMapper(new YAMLFactory()).readTree(r.out());
        ConfigLoader.forTests().forEach((key, value) -> assertEquals(String.valueOf(value), printed.path(key).asText(), key));
    }

    @Test
    void setWinsOverForTests() throws Exception {
        Cli.Result r = Cli.run("serve", "--for-tests", "--config", "config.yaml", "--set", "password_iterations=5000",
                "--print-config");

        JsonNode printed = new ObjectMapper(new YAMLFactory()).readTree(r.out());
        assertEquals(5000, printed.path("password_iterations").asInt());
    }

    @Test
    void theTestSettingsLineShowsTheValuesInForce() throws Exception {
        // given --for-tests with one of its settings changed by --set, and a data dir that stops the start early
        Path file = Files.createFile(dir.resolve("a-file"));

        // when serve starts
        Cli.Result r = Cli.run("serve", "--for-tests", "--set", "ack_grace=300ms", "--port", "0", "--http-port", "0",
                "--data-dir", file.toString());

        // then its line about the test settings gives the value in force
        String line = r.err().stream().filter(l -> l.contains("test settings on")).findFirst().orElseThrow();
        assertTrue(line.contains(" ack_grace=300ms "), line);
    }

    @Test
    void aDataDirThatIsAFileIsReportedAsNotADirectory() throws Exception {
        Path file = Files.createFile(dir.resolve("a-file"));

        Cli.Result r = Cli.run("serve", "--port", "0", "--http-port", "0", "--data-dir", file.toString());

        assertEquals(1, r.code());
        assertEquals(List.of("loomchat: cannot start: " + file + ": not a directory"), r.err());
    }

    @Test
    void aPortInUseIsNamedWhenTheServerCannotListen() throws Exception {
        // given a chat port that another socket holds
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();

            // when a server is started on it
            Cli.Result r = Cli.run("serve", "--for-tests", "--port", String.valueOf(port), "--http-port", "0",
                    "--data-dir", dir.toString());

            // then it says which port it could not have
            assertEquals(1, r.code());
            String last = r.err().getLast();
            assertTrue(last.startsWith("loomchat: cannot start: chat port " + port + " on 127.0.0.1: "), last);
        }
    }

    @Test
    void aMissingConfigFileIsABadConfigurationSaidInOneLine() {
        Cli.Result r = Cli.run("serve", "--config", dir.resolve("missing.yaml").toString());

        assertEquals(2, r.code());
        assertEquals(List.of("loomchat: bad configuration: " + dir.resolve("missing.yaml") + ": no such file"), r.err());
    }
}
