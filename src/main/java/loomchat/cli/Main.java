package loomchat.cli;

import java.io.IOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParseResult;

/** The entry point of {@code loomchat.jar}: dispatches to a subcommand. */
@Command(name = "loomchat", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "A WhatsApp-style chat server on virtual threads.",
        subcommands = {ServeCommand.class, ClientCommand.class, BenchCommand.class, SoakCommand.class})
public final class Main implements Runnable {
    /** What {@code --version} prints, on every subcommand too. */
    static final String VERSION = "loomchat 0.1";

    public static void main(String[] args) {
        // One line per log event (java.util.logging's default takes two), unless the user chose a format.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n");
        }
        int code = commandLine().execute(args);
        if (code != 0 || !ServeCommand.keepsRunning(args)) System.exit(code);
    }

    /** The command line with every subcommand, reporting a user's mistake as one line rather than a stack trace. */
    static CommandLine commandLine() {
        return new CommandLine(new Main()).setExecutionExceptionHandler(Main::oneLine);
    }

    /**
     * A bad option value is the user's to fix (exit 2); an I/O failure, such as no server where a
     * load command was pointed, ends the run (exit 1). Either is one line after the command's
     * name: a stack trace would tell the user nothing more. Anything else is a bug, and keeps its trace.
     */
    private static int oneLine(Exception e, CommandLine command, ParseResult parsed) throws Exception {
        String name = command.getCommandSpec().qualifiedName();
        if (e instanceof BadOption) {
            command.getErr().println(name + ": " + e.getMessage());
            return 2;
        }
        if (e instanceof IOException) {
            command.getErr().println(name + ": " + ExceptionText.of(e));
            return 1;
        }
        throw e;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
