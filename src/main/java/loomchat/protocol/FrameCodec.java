package loomchat.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import loomchat.protocol.ClientFrame.*;
import loomchat.protocol.ServerFrame.*;
import loomchat.protocol.ServerFrame.Error; // not java.lang.Error, which the on-demand import cannot shadow

/**
 * Turns one line of JSON into a validated frame record and a frame record into one line.
 *
 * <p>The parser is bounded on purpose: a frame never nests deeper than {@value #MAX_DEPTH}
 * (the deepest legal frame has 3 levels), numbers are at most {@value #MAX_NUMBER_LENGTH}
 * digits (a {@code seq} fits in a long), and no string or document is longer than the frame
 * limit, so a hostile line costs at most what its length costs. Jackson's per-thread buffer
 * recycling is replaced by a shared pool: with a virtual thread per connection, per-thread
 * buffers would be allocated once per connection and never reused.
 *
 * <p>One codec is shared by every connection; it is thread-safe.
 */
public final class FrameCodec {
    /** Names of users: what {@code ^[a-z0-9_][a-z0-9_.-]{0,31}$} in the contract allows. */
    public static final Pattern NAME = Pattern.compile("^[a-z0-9_][a-z0-9_.-]{0,31}$");
    public static final int MAX_DEPTH = 8;
    public static final int MAX_NUMBER_LENGTH = 20;
    public static final int MAX_ID_LENGTH = 64;
    public static final int MIN_PASSWORD = 8;
    public static final int MAX_PASSWORD = 1024;
    /**
     * The longest inbox item, in characters, the database keeps: the {@code inbox.frame} column
     * (schema.sql). A stored message is its send plus a few hundred characters (msg, from, seq,
     * ts), so {@code max_frame_bytes} stays {@link #ITEM_OVERHEAD} below it.
     */
    public static final int MAX_ITEM_CHARS = 1 << 20;
    /** Room left above {@code max_frame_bytes} for what a stored or pushed item adds to its send. */
    public static final int ITEM_OVERHEAD = 8192;
    /** The largest {@code max_frame_bytes} a server may be configured with. */
    public static final int MAX_FRAME_BYTES_LIMIT = MAX_ITEM_CHARS - ITEM_OVERHEAD;
    /** A group's member list can be at most this long in any one frame, whatever the configured group size. */
    public static final int MAX_LIST = 4096;
    /** About one recycler is in use per carrier at a time; twice that leaves room to spare. */
    private static final int BUFFER_POOL_SLOTS = Math.max(8, 2 * Runtime.getRuntime().availableProcessors());

    private final ObjectMapper mapper;
    private final JsonFactory factory;

    public FrameCodec(int maxFrameBytes) {
        this.factory = JsonFactory.builder()
                .recyclerPool(new BufferPool(BUFFER_POOL_SLOTS))
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_DEPTH)
                        .maxNumberLength(MAX_NUMBER_LENGTH)
                        .maxStringLength(maxFrameBytes)
                        .maxNameLength(256)
                        .maxDocumentLength(maxFrameBytes)
                        .build())
                .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                .build();
        // Whatever follows a line's object, another object included, makes the line bad_frame:
        // Jackson would otherwise stop after the first value and drop the rest unseen, so a
        // second request on the line would never be answered.
        this.mapper = new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    // ---------------------------------------------------------------- decoding

    /** Parses a line sent by a client; the exception names the error code and, if readable, the request id. */
    public ClientFrame decodeClient(byte[] buf, int off, int len) throws ProtocolException {
        JsonNode n = parseObject(buf, off, len);
        String type = wireTypeOf(n);
        String id = idOf(n);
        return switch (type) {
            case "register" -> new Register(need(id, type), name(n, "user", id), password(n, id));
            case "login" -> login(n, need(id, type));
            case "logout" -> new Logout(need(id, type));
            case "ping" -> new Ping(need(id, type));
            case "send" -> send(n, need(id, type));
            case "ack" -> new Ack(seq(n, id));
            case "read" -> new Read(str(n, "msg", id, 1, 256));
            case "subscribe" -> new Subscribe(need(id, type), name(n, "user", id));
            case "unsubscribe" -> new Unsubscribe(need(id, type), name(n, "user", id));
            case "typing" -> typing(n, id);
            case "group_create" -> new GroupCreate(need(id, type), str(n, "name", id, 1, 128),
                    names(n, "members", id, true));
            case "group_add" -> new GroupAdd(need(id, type), str(n, "group", id, 1, 64), names(n, "users", id, false));
            case "group_remove" -> new GroupRemove(need(id, type), str(n, "group", id, 1, 64),
                    names(n, "users", id, false));
            case "group_leave" -> new GroupLeave(need(id, type), str(n, "group", id, 1, 64));
            case "group_info" -> new GroupInfoRequest(need(id, type), str(n, "group", id, 1, 64));
            case "groups" -> new GroupsRequest(need(id, type));
            default -> throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, id, "unknown type '" + type + "'");
        };
    }

    /** Parses a line sent by the server (used by the client library). */
    public ServerFrame decodeServer(byte[] buf, int off, int len) throws ProtocolException {
        JsonNode n = parseObject(buf, off, len);
        String type = wireTypeOf(n);
        String id = n.path("id").isTextual() ? n.get("id").asText() : null;
        return switch (type) {
            case "welcome" -> new Welcome(n.path("server").asText(), n.path("version").asInt(),
                    n.path("max_frame_bytes").asInt());
            case "ok" -> decodeOk(n, id);
            case "error" -> decodeError(n, id);
            case "pong" -> new Pong(id);
            case "msg" -> new Msg(n.path("seq").asLong(), n.path("msg").asText(), n.path("from").asText(),
                    n.path("to").asText(null), n.path("group").asText(null), n.path("body").asText(""),
                    n.hasNonNull("media") ? new Media(n.get("media").path("id").asText(),
                            n.get("media").path("mime").asText(null), n.get("media").path("size").asLong(-1)) : null,
                    n.path("ts").asLong());
            case "receipt" -> n.has("seq")
                    ? new Receipt(n.path("seq").asLong(), n.path("msg").asText(), receiptStatus(n),
                            n.path("by").asText(), n.path("ts").asLong())
                    : new ReceiptNotice(n.path("msg").asText(), receiptStatus(n), n.path("by").asText(),
                            n.path("ts").asLong());
            case "group" -> new GroupEvent(n.path("seq").asLong(), n.path("group").asText(),
                    GroupEventKind.valueOf(n.path("event").asText("added").toUpperCase(java.util.Locale.ROOT)),
                    n.path("by").asText(), textList(n.path("users")));
            case "presence" -> new Presence(n.path("user").asText(), "online".equals(n.path("status").asText()),
                    n.hasNonNull("last_seen") ? n.get("last_seen").asLong() : null);
            case "typing" -> new TypingNotice(n.path("from").asText(), n.path("group").asText(null),
                    "paused".equals(n.path("state").asText()) ? TypingState.PAUSED : TypingState.COMPOSING);
            default -> throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, id, "unknown type '" + type + "'");
        };
    }

    /** An error frame; a code this version does not know keeps its spelling in the message. */
    private static Error decodeError(JsonNode n, String id) {
        String wire = n.path("code").asText();
        String message = n.path("message").asText(null);
        ErrorCode code = ErrorCode.fromWire(wire);
        if (code == ErrorCode.UNRECOGNIZED) message = wire + (message == null ? "" : ": " + message);
        return new Error(id, code, message);
    }

    private static ReceiptStatus receiptStatus(JsonNode n) {
        return "read".equals(n.path("status").asText()) ? ReceiptStatus.READ : ReceiptStatus.DELIVERED;
    }

    /** The shape of an {@code ok} is told by its fields, since the wire type is the same for all. */
    private static Reply decodeOk(JsonNode n, String id) {
        if (n.has("token")) return new LoginOk(id, n.get("token").asText(), n.path("pending").asLong());
        if (n.has("msg")) return new SendOk(id, n.get("msg").asText(), n.path("ts").asLong());
        if (n.has("members")) {
            return new GroupInfo(id, n.path("group").asText(), n.path("name").asText(),
                    textList(n.get("members")), textList(n.path("admins")));
        }
        if (n.has("groups")) {
            List<GroupSummary> groups = new ArrayList<>();
            for (JsonNode g : n.get("groups")) groups.add(new GroupSummary(g.path("group").asText(), g.path("name").asText()));
            return new GroupList(id, groups);
        }
        if (n.has("group")) return new GroupCreated(id, n.get("group").asText());
        return new Ok(id);
    }

    private static List<String> textList(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : array) out.add(e.asText());
        return out;
    }

    /** The line's one JSON object; anything after it on the line makes the line {@code bad_frame}. */
    private JsonNode parseObject(byte[] buf, int off, int len) throws ProtocolException {
        JsonNode n;
        try {
            n = mapper.readTree(buf, off, len); // FAIL_ON_TRAILING_TOKENS: see the constructor
        } catch (MismatchedInputException e) {
            throw new ProtocolException(ErrorCode.BAD_FRAME, null, e.getMessage().startsWith("Trailing token")
                    ? "one JSON object per line; something follows it"
                    : "not valid JSON: " + firstLine(e.getMessage()));
        } catch (IOException | RuntimeException e) {
            throw new ProtocolException(ErrorCode.BAD_FRAME, null, "not valid JSON: " + firstLine(e.getMessage()));
        }
        if (n == null || !n.isObject()) {
            throw new ProtocolException(ErrorCode.BAD_FRAME, null, "a frame must be a JSON object");
        }
        return n;
    }

    private static String firstLine(String s) {
        if (s == null) return "unreadable";
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) : line;
    }

    private static String wireTypeOf(JsonNode n) throws ProtocolException {
        JsonNode t = n.get("type");
        if (t == null || !t.isTextual()) throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, idOf(n), "missing 'type'");
        return t.asText();
    }

    /** The request id if it is well formed; a malformed one is treated as absent. */
    private static String idOf(JsonNode n) {
        JsonNode id = n.get("id");
        if (id == null || !id.isTextual()) return null;
        String s = id.asText();
        return s.isEmpty() || s.length() > MAX_ID_LENGTH || !wellFormed(s) ? null : s;
    }

    /**
     * True unless {@code s} holds an unpaired surrogate, which JSON's backslash-u escapes can
     * spell. A request id is kept as UTF-8 (send keys, the database), where every unpaired
     * surrogate becomes the same {@code ?}: two such ids would be one, and the second send a
     * retry of the first.
     */
    private static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static String need(String id, String type) throws ProtocolException {
        if (id == null) {
            throw new ProtocolException(ErrorCode.INVALID, null,
                    "'" + type + "' needs an 'id': a string of 1.." + MAX_ID_LENGTH + " characters");
        }
        return id;
    }

    private static Login login(JsonNode n, String id) throws ProtocolException {
        String user = name(n, "user", id);
        boolean hasPassword = n.hasNonNull("password");
        boolean hasToken = n.hasNonNull("token");
        if (hasPassword == hasToken) {
            throw new ProtocolException(ErrorCode.INVALID, id, "'login' needs exactly one of 'password' and 'token'");
        }
        return hasPassword ? new Login(id, user, text(n, "password", id, 1, MAX_PASSWORD), null)
                : new Login(id, user, null, str(n, "token", id, 1, 256));
    }

    private static Send send(JsonNode n, String id) throws ProtocolException {
        String to = n.hasNonNull("to") ? name(n, "to", id) : null;
        String group = n.hasNonNull("group") ? str(n, "group", id, 1, 64) : null;
        if ((to == null) == (group == null)) {
            throw new ProtocolException(ErrorCode.INVALID, id, "'send' needs exactly one of 'to' and 'group'");
        }
        String body = n.hasNonNull("body") ? str(n, "body", id, 0, Integer.MAX_VALUE) : "";
        Media media = null;
        JsonNode m = n.get("media");
        if (m != null && !m.isNull()) {
            if (!m.isObject()) throw new ProtocolException(ErrorCode.INVALID, id, "'media' must be an object");
            String mid = str(m, "id", id, 1, 128);
            String mime = m.hasNonNull("mime") ? str(m, "mime", id, 1, 255) : "application/octet-stream";
            JsonNode size = m.get("size");
            long sz = size != null && size.isIntegralNumber() && size.canConvertToLong() && size.asLong() >= 0
                    ? size.asLong() : -1;
            if (size != null && !size.isNull() && sz < 0) {
                throw new ProtocolException(ErrorCode.INVALID, id, "'media.size' must be a non-negative integer");
            }
            media = new Media(mid, mime, sz);
        }
        if (body.isEmpty() && media == null) {
            throw new ProtocolException(ErrorCode.INVALID, id, "'send' needs a 'body' or a 'media'");
        }
        return new Send(id, to, group, body, media);
    }

    private static Typing typing(JsonNode n, String id) throws ProtocolException {
        String to = n.hasNonNull("to") ? name(n, "to", id) : null;
        String group = n.hasNonNull("group") ? str(n, "group", id, 1, 64) : null;
        if ((to == null) == (group == null)) {
            throw new ProtocolException(ErrorCode.INVALID, id, "'typing' needs exactly one of 'to' and 'group'");
        }
        String s = str(n, "state", id, 1, 16);
        TypingState state = switch (s) {
            case "composing" -> TypingState.COMPOSING;
            case "paused" -> TypingState.PAUSED;
            default -> throw new ProtocolException(ErrorCode.INVALID, id, "'state' must be 'composing' or 'paused'");
        };
        return new Typing(to, group, state);
    }

    private static long seq(JsonNode n, String id) throws ProtocolException {
        JsonNode s = n.get("seq");
        if (s == null || !s.isIntegralNumber() || !s.canConvertToLong() || s.asLong() < 0) {
            throw new ProtocolException(ErrorCode.INVALID, id, "'seq' must be a non-negative integer");
        }
        return s.asLong();
    }

    private static String str(JsonNode n, String field, String id, int min, int max) throws ProtocolException {
        JsonNode v = n.get(field);
        if (v == null || v.getNodeType() != JsonNodeType.STRING) {
            throw new ProtocolException(ErrorCode.INVALID, id, "'" + field + "' must be a string");
        }
        String s = v.asText();
        if (s.length() < min || s.length() > max) {
            throw new ProtocolException(ErrorCode.INVALID, id,
                    "'" + field + "' must have " + min + ".." + max + " characters");
        }
        return s;
    }

    /**
     * A string field whose length is counted in characters (code points), as the contract counts
     * a password's: an emoji is one character, though Java counts it as two UTF-16 units. Only for
     * fields the database does not keep as text; a column's length is in UTF-16 units (H2).
     */
    private static String text(JsonNode n, String field, String id, int min, int max) throws ProtocolException {
        String s = str(n, field, id, 0, Integer.MAX_VALUE); // bounded by the frame
        int chars = s.codePointCount(0, s.length());
        if (chars < min || chars > max) {
            throw new ProtocolException(ErrorCode.INVALID, id,
                    "'" + field + "' must have " + min + ".." + max + " characters");
        }
        return s;
    }

    private static String name(JsonNode n, String field, String id) throws ProtocolException {
        String s = str(n, field, id, 1, 32);
        if (!NAME.matcher(s).matches()) {
            throw new ProtocolException(ErrorCode.INVALID, id,
                    "'" + field + "' must match " + NAME.pattern());
        }
        return s;
    }

    private static String password(JsonNode n, String id) throws ProtocolException {
        return text(n, "password", id, MIN_PASSWORD, MAX_PASSWORD);
    }

    private static List<String> names(JsonNode n, String field, String id, boolean optional)
            throws ProtocolException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (optional) return List.of();
            throw new ProtocolException(ErrorCode.INVALID, id, "'" + field + "' must be a list of names");
        }
        if (!v.isArray() || v.size() > MAX_LIST) {
            throw new ProtocolException(ErrorCode.INVALID, id,
                    "'" + field + "' must be a list of at most " + MAX_LIST + " names");
        }
        // A set, not a list's contains(): 4,096 names checked each against all before it cost 10 ms
        // of CPU a frame, and the frame is decoded before login is checked.
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode e : v) {
            if (!e.isTextual() || !NAME.matcher(e.asText()).matches()) {
                throw new ProtocolException(ErrorCode.INVALID, id, "'" + field + "' holds an invalid name");
            }
            out.add(e.asText());
        }
        return List.copyOf(out);
    }

    // ---------------------------------------------------------------- encoding

    /** The {@code type} a frame has on the wire (every kind of {@code ok} is "ok"); used to label metrics. */
    public static String wireType(Frame frame) {
        return switch (frame) {
            case Welcome w -> "welcome";
            case Error e -> "error";
            case Pong p -> "pong";
            case Reply r -> "ok";
            case Msg m -> "msg";
            case Receipt r -> "receipt";
            case ReceiptNotice r -> "receipt";
            case GroupEvent g -> "group";
            case Presence p -> "presence";
            case TypingNotice t -> "typing";
            case Register r -> "register";
            case Login l -> "login";
            case Logout l -> "logout";
            case Ping p -> "ping";
            case Send s -> "send";
            case Ack a -> "ack";
            case Read r -> "read";
            case Subscribe s -> "subscribe";
            case Unsubscribe u -> "unsubscribe";
            case Typing t -> "typing";
            case GroupCreate g -> "group_create";
            case GroupAdd g -> "group_add";
            case GroupRemove g -> "group_remove";
            case GroupLeave g -> "group_leave";
            case GroupInfoRequest g -> "group_info";
            case GroupsRequest g -> "groups";
        };
    }

    /** A frame encoded for many connections at once. */
    public EncodedFrame encodeOnce(ServerFrame frame) {
        return new EncodedFrame(frame, encode(frame));
    }

    /** One frame as a line of UTF-8 JSON ending in {@code \n}. */
    public byte[] encode(Frame frame) {
        LineBytes out = new LineBytes();
        try (JsonGenerator g = factory.createGenerator(out)) {
            g.writeStartObject();
            writeFields(g, frame);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return out.line();
    }

    /**
     * Collects a frame's bytes and its newline in one array. The generator fills its own pooled
     * buffer and hands it over in a single write when it closes, for any frame shorter than that
     * buffer, so a frame costs one array of exactly its size. A {@code ByteArrayOutputStream}
     * grew by doubling and copied once more at the end: about 1 KB of garbage for a pushed
     * message, each of which the young collector then had to sweep.
     */
    private static final class LineBytes extends OutputStream {
        private byte[] bytes = new byte[0];
        private int size;

        @Override
        public void write(int b) {
            room(1);
            bytes[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            room(len);
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        /** Makes room for {@code n} more bytes and the newline. */
        private void room(int n) {
            if (size + n + 1 > bytes.length) bytes = Arrays.copyOf(bytes, Math.max(size + n + 1, 2 * bytes.length));
        }

        byte[] line() {
            room(0);
            bytes[size] = '\n';
            return size + 1 == bytes.length ? bytes : Arrays.copyOf(bytes, size + 1);
        }
    }

    private static void writeFields(JsonGenerator g, Frame frame) throws IOException {
        switch (frame) {
            // server → client
            case Welcome w -> {
                g.writeStringField("type", "welcome");
                g.writeStringField("server", w.server());
                g.writeNumberField("version", w.version());
                g.writeNumberField("max_frame_bytes", w.maxFrameBytes());
            }
            case Ok ok -> okHead(g, ok.id());
            case LoginOk ok -> {
                okHead(g, ok.id());
                g.writeStringField("token", ok.token());
                g.writeNumberField("pending", ok.pending());
            }
            case SendOk ok -> {
                okHead(g, ok.id());
                g.writeStringField("msg", ok.msg());
                g.writeNumberField("ts", ok.ts());
            }
            case GroupCreated ok -> {
                okHead(g, ok.id());
                g.writeStringField("group", ok.group());
            }
            case GroupInfo ok -> {
                okHead(g, ok.id());
                g.writeStringField("group", ok.group());
                g.writeStringField("name", ok.name());
                stringArray(g, "members", ok.members());
                stringArray(g, "admins", ok.admins());
            }
            case GroupList ok -> {
                okHead(g, ok.id());
                g.writeArrayFieldStart("groups");
                for (GroupSummary s : ok.groups()) {
                    g.writeStartObject();
                    g.writeStringField("group", s.group());
                    g.writeStringField("name", s.name());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            case Error e -> {
                g.writeStringField("type", "error");
                if (e.id() != null) g.writeStringField("id", e.id());
                g.writeStringField("code", e.code().wire());
                if (e.message() != null) g.writeStringField("message", e.message());
            }
            case Pong p -> {
                g.writeStringField("type", "pong");
                g.writeStringField("id", p.id());
            }
            case Msg m -> {
                g.writeStringField("type", "msg");
                g.writeNumberField("seq", m.seq());
                g.writeStringField("msg", m.msg());
                g.writeStringField("from", m.from());
                if (m.to() != null) g.writeStringField("to", m.to());
                if (m.group() != null) g.writeStringField("group", m.group());
                g.writeStringField("body", m.body());
                if (m.media() != null) media(g, m.media());
                g.writeNumberField("ts", m.ts());
            }
            case Receipt r -> {
                g.writeStringField("type", "receipt");
                g.writeNumberField("seq", r.seq());
                receiptFields(g, r.msg(), r.status(), r.by(), r.ts());
            }
            case ReceiptNotice r -> {
                g.writeStringField("type", "receipt"); // no seq: an advance copy, not an inbox item
                receiptFields(g, r.msg(), r.status(), r.by(), r.ts());
            }
            case GroupEvent e -> {
                g.writeStringField("type", "group");
                g.writeNumberField("seq", e.seq());
                g.writeStringField("group", e.group());
                g.writeStringField("event", e.event().wire());
                g.writeStringField("by", e.by());
                stringArray(g, "users", e.users());
            }
            case Presence p -> {
                g.writeStringField("type", "presence");
                g.writeStringField("user", p.user());
                g.writeStringField("status", p.online() ? "online" : "offline");
                if (p.lastSeen() != null) g.writeNumberField("last_seen", p.lastSeen());
            }
            case TypingNotice t -> {
                g.writeStringField("type", "typing");
                g.writeStringField("from", t.from());
                if (t.group() != null) g.writeStringField("group", t.group());
                g.writeStringField("state", t.state().wire());
            }
            // client → server
            case Register r -> {
                request(g, "register", r.id());
                g.writeStringField("user", r.user());
                g.writeStringField("password", r.password());
            }
            case Login l -> {
                request(g, "login", l.id());
                g.writeStringField("user", l.user());
                if (l.password() != null) g.writeStringField("password", l.password());
                if (l.token() != null) g.writeStringField("token", l.token());
            }
            case Logout l -> request(g, "logout", l.id());
            case Ping p -> request(g, "ping", p.id());
            case Send s -> {
                request(g, "send", s.id());
                if (s.to() != null) g.writeStringField("to", s.to());
                if (s.group() != null) g.writeStringField("group", s.group());
                g.writeStringField("body", s.body());
                if (s.media() != null) media(g, s.media());
            }
            case Ack a -> {
                g.writeStringField("type", "ack");
                g.writeNumberField("seq", a.seq());
            }
            case Read r -> {
                g.writeStringField("type", "read");
                g.writeStringField("msg", r.msg());
            }
            case Subscribe s -> {
                request(g, "subscribe", s.id());
                g.writeStringField("user", s.user());
            }
            case Unsubscribe s -> {
                request(g, "unsubscribe", s.id());
                g.writeStringField("user", s.user());
            }
            case Typing t -> {
                g.writeStringField("type", "typing");
                if (t.to() != null) g.writeStringField("to", t.to());
                if (t.group() != null) g.writeStringField("group", t.group());
                g.writeStringField("state", t.state().wire());
            }
            case GroupCreate c -> {
                request(g, "group_create", c.id());
                g.writeStringField("name", c.name());
                stringArray(g, "members", c.members());
            }
            case GroupAdd a -> {
                request(g, "group_add", a.id());
                g.writeStringField("group", a.group());
                stringArray(g, "users", a.users());
            }
            case GroupRemove r -> {
                request(g, "group_remove", r.id());
                g.writeStringField("group", r.group());
                stringArray(g, "users", r.users());
            }
            case GroupLeave l -> {
                request(g, "group_leave", l.id());
                g.writeStringField("group", l.group());
            }
            case GroupInfoRequest i -> {
                request(g, "group_info", i.id());
                g.writeStringField("group", i.group());
            }
            case GroupsRequest r -> request(g, "groups", r.id());
        }
    }

    private static void okHead(JsonGenerator g, String id) throws IOException {
        g.writeStringField("type", "ok");
        g.writeStringField("id", id);
    }

    private static void request(JsonGenerator g, String type, String id) throws IOException {
        g.writeStringField("type", type);
        g.writeStringField("id", id);
    }

    /** The fields a receipt and its advance copy share. */
    private static void receiptFields(JsonGenerator g, String msg, ReceiptStatus status, String by, long ts)
            throws IOException {
        g.writeStringField("msg", msg);
        g.writeStringField("status", status.wire());
        g.writeStringField("by", by);
        g.writeNumberField("ts", ts);
    }

    private static void media(JsonGenerator g, Media m) throws IOException {
        g.writeObjectFieldStart("media");
        g.writeStringField("id", m.id());
        if (m.mime() != null) g.writeStringField("mime", m.mime());
        if (m.size() >= 0) g.writeNumberField("size", m.size());
        g.writeEndObject();
    }

    private static void stringArray(JsonGenerator g, String field, List<String> values) throws IOException {
        g.writeArrayFieldStart(field);
        for (String v : values) g.writeString(v);
        g.writeEndArray();
    }
}
