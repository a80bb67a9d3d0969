package loomchat.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

import loomchat.protocol.ClientFrame.TypingState;
import loomchat.protocol.FrameCodec;
import loomchat.protocol.ServerFrame;
import loomchat.protocol.ServerFrame.ReceiptStatus;

/**
 * The plain-text chat screen of the CLI client: turns typed lines into requests and prints
 * what arrives, including the check marks of the messages the user sent.
 *
 * <p>It knows nothing of terminals: it reads a {@link BufferedReader} and prints to a
 * {@link PrintStream}, so scripts can pipe into it and tests can drive it with strings.
 * Printing happens on two threads, the one reading input and the client's reader thread,
 * which is fine because each line is one {@code println}.
 *
 * <p>A received message counts as read as soon as it is printed. The console acks each item
 * itself, before sending {@code read}, so that the sender sees "delivered" before "read".
 */
public final class ChatConsole {
    /** How long quitting waits for the server to accept messages still in flight. */
    public static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);
    /** Sent messages whose receipts are still worth showing with their text; older ones show their id. */
    private static final int TRACKED_SENDS = 1000;
    private static final int SHOWN_BODY = 40;

    private final ChatClient client;
    private final PrintStream out;
    private final Clock clock;
    private final DateTimeFormatter time;
    private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
    /** Sends by message id; written when an ok arrives and read when a receipt does. */
    private final Map<String, Outgoing> sent = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Outgoing> eldest) {
            return size() > TRACKED_SENDS;
        }
    };
    private final ReentrantLock sentLock = new ReentrantLock();
    /** Who plain lines go to: the last {@code /to} target. Only the input thread uses it. */
    private String talkingTo;

    private ChatConsole(ChatClient client, PrintStream out, Clock clock) {
        this.client = client;
        this.out = out;
        this.clock = clock;
        this.time = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(clock.getZone());
    }

    /** A console on {@code client}; call it before logging in, so that no pushed item is missed. */
    public static ChatConsole attach(ChatClient client, PrintStream out) {
        return attach(client, out, Clock.systemDefaultZone());
    }

    /** As {@link #attach(ChatClient, PrintStream)}, with the clock (and its time zone) used for timestamps. */
    public static ChatConsole attach(ChatClient client, PrintStream out, Clock clock) {
        ChatConsole console = new ChatConsole(client, out, clock);
        client.autoAck(false).onItem(console::show).onEvent(console::showEvent);
        return console;
    }

    /**
     * Handles input lines until the input ends, the user quits or the connection closes, then
     * waits (at most {@link #DRAIN_TIMEOUT}) for the replies to messages still in flight, so
     * that a piped script does not lose its last lines.
     */
    public void run(BufferedReader in) throws IOException {
        String line;
        while (client.isOpen() && (line = in.readLine()) != null) {
            if (!handle(line)) break;
        }
        awaitSends(DRAIN_TIMEOUT);
    }

    /** Handles one input line; false when the user asked to quit. */
    public boolean handle(String line) {
        String input = line.strip();
        if (input.isEmpty()) return true;
        if (!input.startsWith("/")) {
            if (talkingTo == null) {
                out.println("  who to? start with /to NAME MESSAGE (/help lists the commands)");
            } else {
                send(talkingTo, input);
            }
            return true;
        }
        int space = input.indexOf(' ');
        String word = space < 0 ? input.substring(1) : input.substring(1, space);
        String rest = space < 0 ? "" : input.substring(space + 1).strip();
        switch (word) {
            case "to" -> to(rest);
            case "help", "?" -> help();
            case "quit", "exit" -> {
                return false;
            }
            // Room for /group, /watch, /send-file and /get.
            default -> out.println("  unknown command /" + word + " (/help lists the commands)");
        }
        return true;
    }

    /** Waits until every message sent so far has its reply (ok or error), or the timeout passes. */
    public void awaitSends(Duration timeout) {
        try {
            CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            // Each failure was printed by the send itself.
        } catch (TimeoutException e) {
            out.println("  gave up waiting for " + inFlight.size() + " message(s) to be accepted");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- commands

    private void to(String args) {
        int space = args.indexOf(' ');
        String name = space < 0 ? args : args.substring(0, space);
        if (!FrameCodec.NAME.matcher(name).matches()) {
            out.println("  usage: /to NAME MESSAGE (names are lower case: a-z, 0-9, _ . -)");
            return;
        }
        talkingTo = name;
        if (space >= 0) send(name, args.substring(space + 1).strip());
    }

    private void help() {
        out.print("""
                /to NAME MESSAGE   send MESSAGE to NAME; later lines without a slash go to NAME too
                /help              this list
                /quit              leave (so does the end of the input)
                sent messages show ✓ when the server has them, ✓✓ when delivered, and "read" when read
                """.indent(2));
    }

    private void send(String to, String body) {
        Outgoing message = new Outgoing(to, false, body);
        CompletableFuture<ServerFrame.SendOk> reply = client.send(to, body);
        inFlight.add(reply);
        reply.whenComplete((ok, failure) -> {
            if (failure != null) {
                out.println("  " + message.label() + " ✗ " + failure.getMessage());
            } else {
                sentLock.lock();
                try {
                    sent.put(ok.msg(), message);
                } finally {
                    sentLock.unlock();
                }
                out.println("  " + message.label() + " ✓ sent");
            }
            inFlight.remove(reply);
        });
    }

    // ---------------------------------------------------------------- what arrives

    private void show(ServerFrame.InboxItem item) {
        switch (item) {
            case ServerFrame.Msg m -> {
                String where = m.group() == null ? "" : " @ " + m.group();
                String media = m.media() == null ? ""
                        : " [" + m.media().mime() + ", " + m.media().size() + " bytes, media " + m.media().id() + "]";
                out.println("[" + time.format(Instant.ofEpochMilli(m.ts())) + "] " + m.from() + where + ": "
                        + m.body() + media);
            }
            case ServerFrame.Receipt r -> showReceipt(r);
            case ServerFrame.GroupEvent e -> out.println("[" + now() + "] * " + describe(e));
        }
        client.ack(item.seq());
        if (item instanceof ServerFrame.Msg m) client.read(m.msg());
    }

    private void showReceipt(ServerFrame.Receipt r) {
        Outgoing message;
        boolean changed;
        sentLock.lock();
        try {
            message = sent.get(r.msg());
            changed = message == null || message.advance(r.status());
            // A direct message needs nothing more once read; a group message waits for every member.
            if (message != null && r.status() == ReceiptStatus.READ && !message.isGroup()) sent.remove(r.msg());
        } finally {
            sentLock.unlock();
        }
        if (!changed) return; // a late "delivered" after "read" must not take the blue ticks back
        String marks = "✓✓ " + r.status().wire();
        if (message == null) {
            out.println("  " + marks + " by " + r.by() + " (message " + r.msg() + ")");
        } else if (message.isGroup()) {
            out.println("  " + message.label() + " " + marks + " by " + r.by());
        } else {
            out.println("  " + message.label() + " " + marks);
        }
    }

    private void showEvent(ServerFrame event) {
        switch (event) {
            case ServerFrame.Presence p when p.online() -> out.println("  * " + p.user() + " is online");
            case ServerFrame.Presence p -> out.println("  * " + p.user() + " is offline"
                    + (p.lastSeen() == null ? "" : ", last seen " + time.format(Instant.ofEpochMilli(p.lastSeen()))));
            case ServerFrame.TypingNotice t when t.state() == TypingState.COMPOSING ->
                    out.println("  * " + t.from() + " is typing" + (t.group() == null ? "" : " in " + t.group()) + "…");
            case ServerFrame.Error e -> out.println("  * server: " + e.code().wire()
                    + (e.message() == null ? "" : ": " + e.message()));
            default -> { } // a paused typing indicator needs no line of its own
        }
    }

    private static String describe(ServerFrame.GroupEvent e) {
        String users = String.join(", ", e.users());
        return switch (e.event()) {
            case CREATED -> e.by() + " created " + e.group() + (users.isEmpty() ? "" : " with " + users);
            case ADDED -> e.by() + " added " + users + " to " + e.group();
            case REMOVED -> e.by() + " removed " + users + " from " + e.group();
            case LEFT -> (users.isEmpty() ? e.by() : users) + " left " + e.group();
        };
    }

    private String now() {
        return time.format(clock.instant());
    }

    /** A message the user sent, and the furthest receipt seen for it. Guarded by {@code sentLock}. */
    private static final class Outgoing {
        private final String to;
        private final boolean group;
        private final String body;
        private ReceiptStatus status;

        Outgoing(String to, boolean group, String body) {
            this.to = to;
            this.group = group;
            this.body = body;
        }

        boolean isGroup() {
            return group;
        }

        /** Records a receipt; false if it says nothing new (group receipts always do: each names a member). */
        boolean advance(ReceiptStatus receipt) {
            if (isGroup()) return true;
            if (status != null && status.compareTo(receipt) >= 0) return false;
            status = receipt;
            return true;
        }

        String label() {
            String shown = body.length() <= SHOWN_BODY ? body : body.substring(0, SHOWN_BODY - 1) + "…";
            return "→ " + to + ": " + shown;
        }
    }
}
