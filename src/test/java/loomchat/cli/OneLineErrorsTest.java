package loomchat.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user's mistake on the command line is one line saying what to fix, and exit code 2; a run
 * that fails (no server where a load command was pointed) is one line and exit code 1. Never a
 * stack trace.
 */
class OneLineErrorsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
            "bench relay --pairs -1,          --pairs",
            "bench relay --window 0,          --window",
            "bench relay --bytes -5,          --bytes",
            "bench relay --rate 0,            --rate",
            "bench relay --port 0,            --port",
            "bench group --members 1,         --members",
            "bench idle --connections 0,      --connections",
            "bench reconnect --clients -3,    --clients",
            "soak --users 0,                  --users",
            "soak --seconds -1,               --seconds",
            "soak --group-share 1.5,          --group-share",
    })
    void anOptionOutOfRangeIsOneLineNamingIt(String args, String option) {
        Cli.Result r = Cli.run(args.split(" "));

        assertEquals(2, r.code());
        assertEquals(1, r.err().size(), "one line: " + r.err());
        assertTrue(r.err().getFirst().startsWith("loomchat "), r.err().getFirst());
        assertTrue(r.err().getFirst().contains(": " + option + " must be "), r.err().getFirst());
    }

    @Test
    void benchWithoutAWorkloadPrintsItsUsageUnderItsFullNameAndExits2() {
        Cli.Result r = Cli.run("bench");

        assertEquals(2, r.code());
        assertTrue(r.err().getFirst().startsWith("Usage: loomchat bench "), r.err().getFirst());
    }

    @Test
    void aPasswordFileThatIsNotThereIsOneLine() {
        Path missing = dir.resolve("password");

        Cli.Result r = Cli.run("client", "--user", "alice", "--password-file", missing.toString());

        assertEquals(2, r.code());
        assertEquals(List.of("loomchat client: --password-file " + missing + ": no such file"), r.err());
    }

    @Test
    void benchWithNoServerIsOneLine() throws Exception {
        Cli.Result r = Cli.run("bench", "relay", "--port", String.valueOf(portNobodyListensOn()), "--http-port", "0",
                "--pairs", "1", "--tokens", dir.resolve("tokens").toString());

        assertEquals(1, r.code());
        assertEquals(1, r.err().size(), "one line: " + r.err());
        assertTrue(r.err().getFirst().startsWith("loomchat bench relay: "), r.err().getFirst());
    }

    @Test
    void soakWithNoServerIsOneLine() throws Exception {
        Cli.Result r = Cli.run("soak", "--port", String.valueOf(portNobodyListensOn()), "--users", "2", "--seconds", "1");

        assertEquals(1, r.code());
        assertEquals(1, r.err().size(), "one line: " + r.err());
        assertTrue(r.err().getFirst().startsWith("loomchat soak: "), r.err().getFirst());
    }

    /** A port that was free a moment ago: connecting to it is refused. */
    private static int portNobodyListensOn() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
