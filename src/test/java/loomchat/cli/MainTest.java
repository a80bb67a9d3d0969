package loomchat.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The launcher's own options. */
class MainTest {

    @ParameterizedTest
    @ValueSource(strings = {"serve", "client", "bench", "soak"})
    void everySubcommandPrintsTheVersion(String subcommand) {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Main()).setOut(new PrintWriter(out));

        int code = cli.execute(subcommand, "--version");

        assertEquals(0, code);
        assertEquals(Main.VERSION, out.toString().strip());
    }

    @Test
    void theLauncherPrintsTheVersion() {
        StringWriter out = new StringWriter();

        new CommandLine(new Main()).setOut(new PrintWriter(out)).execute("--version");

        assertEquals(Main.VERSION, out.toString().strip());
    }
}
