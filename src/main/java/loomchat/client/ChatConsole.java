package loomchat.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
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
import loomchat.protocol.Media;
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
    private final Map<String, Outgoing> sent = newest(TRACKED_SENDS);
    private final ReentrantLock sentLock = new ReentrantLock();
    /**
     * Receipts already shown, as "msg status by": one behind a backlog arrives twice (its advance
     * copy, then the inbox item), and prints once. Reader thread only.
     */
    private final Set<String> shownReceipts = java.util.Collections.newSetFromMap(newest(TRACKED_SENDS));
    /** Who plain lines go to: the last {@code /to} or {@code /g} target. Only the input thread uses these. */
    private String talkingTo;
    private boolean talkingToGroup;
    /** Who is typing right now, as "from" or "from group": a notice prints once, not per repeat. Reader thread only. */
    private final Set<String> typing = new HashSet<>();
    /** The HTTP side, for /send-file and /get; null when the console has none. */
    private volatile MediaClient media;

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

    /** A map that keeps only its {@code max} most recently added entries. */
    private static <V> Map<String, V> newest(int max) {
        return new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > max;
            }
        };
    }

    /** Gives the console the server's HTTP side (known only after login: it needs the token). */
    public ChatConsole media(MediaClient media) {
        this.media = media;
        return this;
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
            } else if (talkingToGroup) {
                sendToGroup(talkingTo, input);
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
            case "send-file" -> sendFile(rest);
            case "get" -> get(rest);
            case "quit", "exit" -> {
                return false;
            }
            case "group" -> group(rest);
            case "groups" -> groups();
            case "g" -> toGroup(rest);
            case "watch" -> watch(rest, true);
            case "unwatch" -> watch(rest, false);
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
        talkingToGroup = false;
        if (space >= 0) send(name, args.substring(space + 1).strip());
    }

    /** {@code /group new NAME users..}, {@code /group add G users..}, {@code /group remove G users..}, {@code /group leave G}, {@code /group info G}. */
    private void group(String args) {
        String[] words = args.isEmpty() ? new String[0] : args.split("\\s+");
        String usage = "  usage: /group new NAME [USERS..] | add GROUP USERS.. | remove GROUP USERS.. | leave GROUP | info GROUP";
        if (words.length < 2) {
            out.println(usage);
            return;
        }
        List<String> users = List.of(words).subList(2, words.length);
        String target = words[1];
        try {
            switch (words[0]) {
                case "new" -> out.println("  created " + client.groupCreate(target, users) + " (" + target + ")");
                case "add" -> {
                    client.groupAdd(target, users);
                    out.println("  added " + String.join(", ", users) + " to " + target);
                }
                case "remove" -> {
                    client.groupRemove(target, users);
                    out.println("  removed " + String.join(", ", users) + " from " + target);
                }
                case "leave" -> {
                    client.groupLeave(target);
                    out.println("  left " + target);
                }
                case "info" -> {
                    ServerFrame.GroupInfo info = client.groupInfo(target);
                    List<String> shown = new ArrayList<>();
                    for (String m : info.members()) shown.add(info.admins().contains(m) ? m + " (admin)" : m);
                    out.println("  " + info.group() + " \"" + info.name() + "\": " + String.join(", ", shown));
                }
                default -> out.println(usage);
            }
        } catch (ChatException e) {
            out.println("  ✗ " + e.getMessage());
        }
    }

    private void groups() {
        try {
            List<ServerFrame.GroupSummary> groups = client.groups();
            if (groups.isEmpty()) out.println("  no groups yet: /group new NAME USERS.. makes one");
            for (ServerFrame.GroupSummary g : groups) out.println("  " + g.group() + "  " + g.name());
        } catch (ChatException e) {
            out.println("  ✗ " + e.getMessage());
        }
    }

    /** {@code /g GROUP MESSAGE}: sends to a group; later lines without a slash go there too. */
    private void toGroup(String args) {
        int space = args.indexOf(' ');
        String group = space < 0 ? args : args.substring(0, space);
        if (group.isEmpty()) {
            out.println("  usage: /g GROUP MESSAGE (/groups lists yours)");
            return;
        }
        talkingTo = group;
        talkingToGroup = true;
        if (space >= 0) sendToGroup(group, args.substring(space + 1).strip());
    }

    private void sendToGroup(String group, String body) {
        track(new Outgoing(group, true, body), client.sendToGroup(group, body));
    }

    /** {@code /watch NAME} shows when NAME comes and goes (and now: online, or last seen); {@code /unwatch NAME} stops. */
    private void watch(String name, boolean on) {
        if (!FrameCodec.NAME.matcher(name).matches()) {
            out.println("  usage: /" + (on ? "watch" : "unwatch") + " NAME");
            return;
        }
        try {
            if (on) {
                client.subscribe(name); // the presence notice itself arrives as an event
            } else {
                client.unsubscribe(name);
                out.println("  no longer watching " + name);
            }
        } catch (ChatException e) {
            out.println("  ✗ " + e.getMessage());
        }
    }

    private void help() {
        out.print("""
                /to NAME MESSAGE   send MESSAGE to NAME; later lines without a slash go to NAME too
                /send-file NAME FILE   upload FILE and send it to NAME
                /get ID FILE       download the media ID (shown with a received file) into FILE
                /g GROUP MESSAGE   send MESSAGE to a group; later lines without a slash go there too
                /group new NAME USERS..      create a group (you are its admin)
                /group add|remove GROUP USERS..   change who is in it (admins only)
                /group leave GROUP | /group info GROUP
                /groups            the groups you are in
                /watch NAME        show when NAME is online, or when last seen; /unwatch NAME stops
                /help              this list
                /quit              leave (so does the end of the input)
                sent messages show ✓ when the server has them, ✓✓ when delivered, and "read" when read
                """.indent(2));
    }

    private void send(String to, String body) {
        track(new Outgoing(to, false, body), client.send(to, body));
    }

    /** Uploads a file, then sends a message that carries it; the upload blocks the input, the send does not. */
    private void sendFile(String args) {
        int space = args.indexOf(' ');
        String to = space < 0 ? args : args.substring(0, space);
        String name = space < 0 ? "" : args.substring(space + 1).strip();
        if (!FrameCodec.NAME.matcher(to).matches() || name.isEmpty()) {
            out.println("  usage: /send-file NAME FILE");
            return;
        }
        Path file = Path.of(name);
        MediaClient http = mediaClient();
        if (http == null) return;
        if (!Files.isRegularFile(file)) {
            out.println("  no such file: " + file);
            return;
        }
        String mime = guessMime(file);
        MediaClient.Uploaded uploaded;
        try {
            uploaded = http.upload(file, mime);
        } catch (IOException e) {
            out.println("  → " + to + ": " + file.getFileName() + " ✗ " + e.getMessage());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        Media attached = new Media(uploaded.id(), mime, uploaded.size());
        track(new Outgoing(to, false, "[" + file.getFileName() + ", " + mime + ", " + uploaded.size() + " bytes]"),
                client.send(to, "", attached));
    }

    private void get(String args) {
        int space = args.indexOf(' ');
        if (space < 0) {
            out.println("  usage: /get ID FILE");
            return;
        }
        MediaClient http = mediaClient();
        if (http == null) return;
        String id = args.substring(0, space);
        try {
            MediaClient.Downloaded d = http.download(id, Path.of(args.substring(space + 1).strip()));
            out.println("  saved " + d.file() + " (" + d.mime() + ", " + d.size() + " bytes)");
        } catch (IOException e) {
            out.println("  ✗ " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private MediaClient mediaClient() {
        MediaClient http = media;
        if (http == null) out.println("  files need the server's HTTP port, which this console was not given");
        return http;
    }

    /** The type from the file's name (the platform's guess first); the receiver sees it and the download carries it. */
    private static String guessMime(Path file) {
        String mime = null;
        try {
            mime = Files.probeContentType(file);
        } catch (IOException e) {
            // fall back to the name alone
        }
        if (mime == null) mime = URLConnection.guessContentTypeFromName(file.getFileName().toString());
        return mime == null ? "application/octet-stream" : mime;
    }

    /** Follows a send: waits for its reply in the background, shows it, and remembers it for receipts. */
    private void track(Outgoing message, CompletableFuture<ServerFrame.SendOk> reply) {
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
        if (item instanceof ServerFrame.Msg m) typing.remove(typingKey(m.from(), m.group())); // the typing became this
        switch (item) {
            case ServerFrame.Msg m -> {
                String where = m.group() == null ? "" : " @ " + m.group();
                String media = m.media() == null ? ""
                        : " [" + m.media().mime() + ", " + m.media().size() + " bytes, media " + m.media().id() + "]";
                out.println("[" + time.format(Instant.ofEpochMilli(m.ts())) + "] " + m.from() + where + ": "
                        + m.body() + media);
            }
            case ServerFrame.Receipt r -> showReceipt(r.msg(), r.status(), r.by());
            case ServerFrame.GroupEvent e -> out.println("[" + now() + "] * " + describe(e));
        }
        client.ack(item.seq());
        if (item instanceof ServerFrame.Msg m) client.read(m.msg());
    }

    private void showReceipt(String msg, ReceiptStatus status, String by) {
        if (!shownReceipts.add(msg + " " + status.wire() + " " + by)) return;
        Outgoing message;
        boolean changed;
        sentLock.lock();
        try {
            message = sent.get(msg);
            changed = message == null || message.advance(status);
            // A direct message needs nothing more once read; a group message waits for every member.
            if (message != null && status == ReceiptStatus.READ && !message.isGroup()) sent.remove(msg);
        } finally {
            sentLock.unlock();
        }
        if (!changed) return; // a late "delivered" after "read" must not take the blue ticks back
        String marks = "✓✓ " + status.wire();
        if (message == null) {
            out.println("  " + marks + " by " + by + " (message " + msg + ")");
        } else if (message.isGroup()) {
            out.println("  " + message.label() + " " + marks + " by " + by);
        } else {
            out.println("  " + message.label() + " " + marks);
        }
    }

    private void showEvent(ServerFrame event) {
        switch (event) {
            case ServerFrame.Presence p when p.online() -> out.println("  * " + p.user() + " is online");
            case ServerFrame.Presence p -> out.println("  * " + p.user() + " is offline"
                    + (p.lastSeen() == null ? "" : ", last seen " + when(p.lastSeen())));
            case ServerFrame.TypingNotice t when t.state() == TypingState.COMPOSING -> {
                // Clients repeat "composing" while the user types: one line per spell of typing.
                if (typing.size() > TRACKED_SENDS) typing.clear();
                if (typing.add(typingKey(t.from(), t.group()))) {
                    out.println("  * " + t.from() + " is typing" + (t.group() == null ? "" : " in " + t.group()) + "…");
                }
            }
            case ServerFrame.TypingNotice t -> typing.remove(typingKey(t.from(), t.group()));
            case ServerFrame.ReceiptNotice r -> showReceipt(r.msg(), r.status(), r.by());
            case ServerFrame.Error e -> out.println("  * server: " + e.code().wire()
                    + (e.message() == null ? "" : ": " + e.message()));
            default -> { }
        }
    }

    private static String typingKey(String from, String group) {
        return group == null ? from : from + " " + group;
    }

    /** A time of day for today, with the date for any other day. */
    private String when(long epochMillis) {
        Instant then = Instant.ofEpochMilli(epochMillis);
        boolean today = then.atZone(clock.getZone()).toLocalDate().equals(clock.instant().atZone(clock.getZone()).toLocalDate());
        return today ? time.format(then)
                : DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(clock.getZone()).format(then);
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
