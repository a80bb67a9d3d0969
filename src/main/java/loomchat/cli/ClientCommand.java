package loomchat.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLSocketFactory;

import loomchat.client.ChatClient;
import loomchat.client.ChatConsole;
import loomchat.client.ChatException;
import loomchat.client.MediaClient;
import loomchat.protocol.ServerFrame;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code loomchat client}: logs in and chats from the terminal, one line per command.
 *
 * <p>The password comes from {@code --password-file}, else from the terminal without echo,
 * else (input piped in) from the first line of standard input, so a script can be
 * {@code printf 'secret-pw\n/to bob hi\n' | loomchat client --user alice}. The chat itself is
 * {@link ChatConsole}; this class only gathers options, connects and waits for the end: the
 * input running out, {@code /quit}, or the server closing the connection.
 */
@Command(name = "client", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Chat from the terminal: /to NAME MESSAGE sends, /help lists the commands.")
public final class ClientCommand implements Callable<Integer> {
    /** A ping after this long quiet, well inside the server's default idle timeout (300 s); nothing back for twice this, and the connection is given up. */
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(60);

    @Option(names = "--host", defaultValue = "localhost", description = "Server host (default: ${DEFAULT-VALUE}).")
    private String host;

    @Option(names = "--port", defaultValue = "7070", description = "Chat port (default: ${DEFAULT-VALUE}).")
    private int port;

    @Option(names = "--http-port", defaultValue = "7071",
            description = "HTTP port, for /send-file and /get (default: ${DEFAULT-VALUE}; HTTPS with --tls).")
    private int httpPort;

    @Option(names = "--tls", description = "Connect over TLS (trust store: -Djavax.net.ssl.trustStore).")
    private boolean tls;

    @Option(names = "--user", required = true, paramLabel = "NAME", description = "Who to log in as.")
    private String user;

    @Option(names = "--register", description = "Create the account first.")
    private boolean register;

    @Option(names = "--password-file", paramLabel = "FILE", description = "Read the password from the first line of FILE.")
    private Path passwordFile;

    @Override
    public Integer call() throws IOException {
        PrintStream out = System.out;
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String password = password(stdin);
        if (password == null || password.isEmpty()) {
            System.err.println("loomchat client: no password given");
            return 2;
        }
        ChatClient client;
        try {
            client = ChatClient.connect(host, port, tls ? (SSLSocketFactory) SSLSocketFactory.getDefault() : null,
                    ChatClient.DEFAULT_CONNECT_TIMEOUT);
        } catch (IOException e) {
            System.err.println("loomchat client: cannot connect to " + host + ":" + port + ": " + e.getMessage());
            return 1;
        }
        try (client) {
            ChatConsole console = ChatConsole.attach(client, out);
            CompletableFuture<Integer> end = new CompletableFuture<>();
            client.onClose(() -> end.complete(1));
            if (register) {
                client.register(user, password);
                out.println("registered " + user);
            }
            ServerFrame.LoginOk ok = client.login(user, password);
            MediaClient media = new MediaClient(java.net.URI.create((tls ? "https" : "http") + "://" + host + ":"
                    + httpPort), ok.token());
            client.onClose(() -> {
                end.complete(1); // first: closing the media client waits for a transfer in flight
                media.close();
            });
            console.media(media);
            out.println("logged in as " + user + (ok.pending() > 0 ? ", " + ok.pending() + " waiting" : "")
                    + "; /help lists the commands");
            // A platform daemon thread: a read of stdin cannot be interrupted, and must not keep the JVM alive.
            Thread.ofPlatform().daemon().name("stdin").start(() -> {
                try {
                    console.run(stdin);
                    end.complete(0);
                } catch (IOException e) {
                    System.err.println("loomchat client: reading input failed: " + e.getMessage());
                    end.complete(1);
                }
            });
            // A ping while quiet keeps the server's idle_timeout away, and a connection that died
            // without a word (a NAT that forgot it, a switch of networks) is noticed and reported.
            client.keepAlive(KEEP_ALIVE);
            int code = waitFor(end);
            if (code != 0 && client.closeCause() != null) {
                System.err.println("disconnected: " + client.closeCause().getMessage());
            }
            return code;
        } catch (ChatException e) {
            System.err.println("loomchat client: " + e.getMessage());
            return 1;
        }
    }

    private String password(BufferedReader stdin) throws IOException {
        if (passwordFile != null) {
            try (BufferedReader file = Files.newBufferedReader(passwordFile, StandardCharsets.UTF_8)) {
                return file.readLine();
            } catch (IOException e) {
                throw new BadOption("--password-file " + passwordFile + ": " + ExceptionText.reason(e));
            }
        }
        Console terminal = terminal();
        if (terminal == null) return stdin.readLine();
        char[] typed = terminal.readPassword("password for %s: ", user);
        if (typed == null) return null;
        try {
            if (register) {
                char[] again = terminal.readPassword("again: ");
                if (again == null || !Arrays.equals(typed, again)) {
                    System.err.println("loomchat client: the passwords differ");
                    return null;
                }
                Arrays.fill(again, '\0');
            }
            return new String(typed);
        } finally {
            Arrays.fill(typed, '\0');
        }
    }

    /**
     * The console, if input really comes from a terminal. Since JDK 22 {@code System.console()}
     * can return a console even when input is piped, and reading a password from it would
     * swallow the script's first lines; {@code Console.isTerminal()} (JDK 22+) tells them
     * apart, and is called reflectively because the project targets JDK 21.
     */
    private static Console terminal() {
        Console console = System.console();
        if (console == null) return null;
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return Boolean.TRUE.equals(isTerminal.invoke(console)) ? console : null;
        } catch (ReflectiveOperationException e) {
            return console; // JDK 21: a non-null console is a terminal
        }
    }

    private static int waitFor(CompletableFuture<Integer> end) {
        try {
            return end.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (ExecutionException e) {
            return 1;
        }
    }
}
