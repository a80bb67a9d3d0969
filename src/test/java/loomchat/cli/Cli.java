package loomchat.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** Runs loomchat's command line in this JVM, as {@code java -jar loomchat.jar} would, keeping what it prints. */
final class Cli {
    private Cli() {
    }

    /** The exit code, standard output, and the non-blank lines of standard error. */
    record Result(int code, String out, List<String> err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return new Result(code, out.toString(), err.toString().lines().filter(l -> !l.isBlank()).toList());
    }
}
