package loomchat.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

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
        int code = new CommandLine(new Main()).execute(args);
        if (code != 0 || !ServeCommand.keepsRunning(args)) System.exit(code);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
