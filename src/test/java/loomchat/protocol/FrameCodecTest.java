package loomchat.protocol;

import java.nio.charset.StandardCharsets;
import loomchat.protocol.ClientFrame.Ack;
import loomchat.protocol.ClientFrame.Login;
import loomchat.protocol.ClientFrame.Ping;
import loomchat.protocol.ClientFrame.Register;
import loomchat.protocol.ClientFrame.Send;
import loomchat.protocol.ServerFrame.Msg;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Decoding and encoding single frames: what is accepted, and which error code the rest gets. */
class FrameCodecTest {
    private final FrameCodec codec = new FrameCodec(65536);

    private ClientFrame decode(String json) throws ProtocolException {
        byte[] b = json.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
        return codec.decodeClient(b, 0, b.length);
    }

    private ProtocolException refused(String json) {
        return assertThrows(ProtocolException.class, () -> decode(json));
    }

    @Test
    void decodesARegister() throws ProtocolException {
        assertEquals(new Register("1", "alice", "correct horse"),
                decode("{'type':'register','id':'1','user':'alice','password':'correct horse'}"));
    }

    @Test
    void decodesLoginByPasswordAndByToken() throws ProtocolException {
        assertEquals(new Login("2", "alice", "correct horse", null),
                decode("{'type':'login','id':'2','user':'alice','password':'correct horse'}"));
        assertEquals(new Login("2", "alice", null, "tok"),
                decode("{'type':'login','id':'2','user':'alice','token':'tok'}"));
    }

    @Test
    void loginWithBothPasswordAndTokenIsInvalid() {
        ProtocolException e = refused("{'type':'login','id':'2','user':'alice','password':'correct horse','token':'t'}");
        assertEquals(ErrorCode.INVALID, e.code());
        assertEquals("2", e.requestId());
    }

    @Test
    void unknownFieldsAreIgnored() throws ProtocolException {
        assertEquals(new Ping("p"), decode("{'type':'ping','id':'p','client':'x/2.0','extra':{'deep':[1,2]}}"));
    }

    @Test
    void invalidJsonIsBadFrame() {
        assertEquals(ErrorCode.BAD_FRAME, refused("{'type':'ping',").code());
        assertEquals(ErrorCode.BAD_FRAME, refused("not json").code());
    }

    @Test
    void aLineWithTwoObjectsIsBadFrameAndEchoesNoId() {
        ProtocolException e = refused("{'type':'ping','id':'1'}{'type':'ping','id':'2'}");

        assertEquals(ErrorCode.BAD_FRAME, e.code());
        assertNull(e.requestId());
    }

    @Test
    void anObjectFollowedByGarbageIsBadFrame() {
        ProtocolException e = refused("{'type':'ping','id':'1'} garbage");

        assertEquals(ErrorCode.BAD_FRAME, e.code());
        assertNull(e.requestId());
    }

    @Test
    void whitespaceAfterTheObjectIsNotATrailingToken() throws ProtocolException {
        assertEquals(new Ping("1"), decode("{'type':'ping','id':'1'} \t "));
    }

    @Test
    void nonObjectIsBadFrame() {
        assertEquals(ErrorCode.BAD_FRAME, refused("[1,2,3]").code());
        assertEquals(ErrorCode.BAD_FRAME, refused("'ping'").code());
        assertEquals(ErrorCode.BAD_FRAME, refused("42").code());
    }

    @Test
    void missingTypeIsUnknownTypeWithTheIdEchoed() {
        ProtocolException e = refused("{'id':'x1','user':'alice'}");
        assertEquals(ErrorCode.UNKNOWN_TYPE, e.code());
        assertEquals("x1", e.requestId());
    }

    @Test
    void unknownTypeIsUnknownTypeWithTheIdEchoed() {
        ProtocolException e = refused("{'type':'teleport','id':'x2'}");
        assertEquals(ErrorCode.UNKNOWN_TYPE, e.code());
        assertEquals("x2", e.requestId());
    }

    @Test
    void badNamesAreInvalid() {
        for (String name : new String[]{"Alice", "-alice", "al ice", "", "a".repeat(33), "émile"}) {
            ProtocolException e = refused("{'type':'register','id':'1','user':'" + name + "','password':'correct horse'}");
            assertEquals(ErrorCode.INVALID, e.code(), name);
            assertEquals("1", e.requestId(), name);
        }
    }

    @Test
    void passwordsMustBe8To1024Characters() throws ProtocolException {
        assertEquals(ErrorCode.INVALID, refused("{'type':'register','id':'1','user':'alice','password':'1234567'}").code());
        assertEquals(ErrorCode.INVALID,
                refused("{'type':'register','id':'1','user':'alice','password':'" + "p".repeat(1025) + "'}").code());
        decode("{'type':'register','id':'1','user':'alice','password':'12345678'}");
        decode("{'type':'register','id':'1','user':'alice','password':'" + "p".repeat(1024) + "'}");
    }

    @Test
    void passwordsAreCountedInCharactersNotUtf16Units() throws ProtocolException {
        String emoji = "\uD83D\uDD11"; // one character, two UTF-16 units

        // four emoji are 8 UTF-16 units but only 4 characters: too short
        ProtocolException e =
                refused("{'type':'register','id':'1','user':'alice','password':'" + emoji.repeat(4) + "'}");
        assertEquals(ErrorCode.INVALID, e.code());
        assertEquals("1", e.requestId());

        // eight emoji are 8 characters; 1024 of them (2048 units) are still within the limit, for login too
        assertEquals(new Register("1", "alice", emoji.repeat(8)),
                decode("{'type':'register','id':'1','user':'alice','password':'" + emoji.repeat(8) + "'}"));
        decode("{'type':'register','id':'1','user':'alice','password':'" + emoji.repeat(1024) + "'}");
        decode("{'type':'login','id':'2','user':'alice','password':'" + emoji.repeat(1024) + "'}");
        assertEquals(ErrorCode.INVALID,
                refused("{'type':'login','id':'2','user':'alice','password':'" + emoji.repeat(1025) + "'}").code());
    }

    @Test
    void requestsNeedAnIdOf1To64Characters() {
        ProtocolException missing = refused("{'type':'ping'}");
        assertEquals(ErrorCode.INVALID, missing.code());
        assertNull(missing.requestId());
        assertEquals(ErrorCode.INVALID, refused("{'type':'ping','id':''}").code());
        assertEquals(ErrorCode.INVALID, refused("{'type':'ping','id':'" + "i".repeat(65) + "'}").code());
        assertEquals(ErrorCode.INVALID, refused("{'type':'ping','id':7}").code());
    }

    @Test
    void anIdWithAnUnpairedSurrogateIsTreatedAsMissing() throws ProtocolException {
        // given ids spelled with JSON escapes: a lone high surrogate, a lone low one, and a pair
        // then the lone ones are refused, as if there were no id (kept as UTF-8, both would read "x?")
        assertEquals(ErrorCode.INVALID, refused("{'type':'send','id':'x\\ud800','to':'bob','body':'hi'}").code());
        assertEquals(ErrorCode.INVALID, refused("{'type':'send','id':'x\\udbff','to':'bob','body':'hi'}").code());
        assertEquals(ErrorCode.INVALID, refused("{'type':'send','id':'\\udc00x','to':'bob','body':'hi'}").code());
        // and a pair (an emoji) is an id like any other
        assertEquals(new Send("x\uD83D\uDE00", "bob", null, "hi", null),
                decode("{'type':'send','id':'x\\ud83d\\ude00','to':'bob','body':'hi'}"));
    }

    @Test
    void aFrameWithoutATypeIsAnsweredWithItsIdOnlyIfTheIdIsWellFormed() {
        assertEquals("7", refused("{'id':'7'}").requestId());
        assertEquals(ErrorCode.UNKNOWN_TYPE, refused("{'id':''}").code());
        assertNull(refused("{'id':''}").requestId());
        assertNull(refused("{'id':'" + "i".repeat(65) + "'}").requestId());
    }

    @Test
    void sendNeedsExactlyOneTargetAndABody() throws ProtocolException {
        assertEquals(new Send("c1", "bob", null, "hi", null), decode("{'type':'send','id':'c1','to':'bob','body':'hi'}"));
        assertEquals(ErrorCode.INVALID, refused("{'type':'send','id':'c1','body':'hi'}").code());
        assertEquals(ErrorCode.INVALID, refused("{'type':'send','id':'c1','to':'bob','group':'g-1','body':'hi'}").code());
        assertEquals(ErrorCode.INVALID, refused("{'type':'send','id':'c1','to':'bob'}").code());
    }

    @Test
    void mediaSizeMustBeAnInteger() throws ProtocolException {
        assertEquals(new Send("c1", "bob", null, "", new Media("m1", "image/png", 12)),
                decode("{'type':'send','id':'c1','to':'bob','media':{'id':'m1','mime':'image/png','size':12}}"));

        ProtocolException e = refused("{'type':'send','id':'c1','to':'bob','media':{'id':'m1','size':12.7}}");

        assertEquals(ErrorCode.INVALID, e.code());
        assertEquals("c1", e.requestId());
    }

    @Test
    void ackNeedsANonNegativeIntegerSeq() throws ProtocolException {
        assertEquals(new Ack(41), decode("{'type':'ack','seq':41}"));
        assertEquals(ErrorCode.INVALID, refused("{'type':'ack','seq':-1}").code());
        assertEquals(ErrorCode.INVALID, refused("{'type':'ack','seq':'41'}").code());
        assertEquals(ErrorCode.INVALID, refused("{'type':'ack'}").code());
        assertEquals(ErrorCode.INVALID, refused("{'type':'ack','seq':1.5}").code());
    }

    @Test
    void deepNestingIsRefused() {
        String deep = "{'type':'ping','id':'p','x':" + "[".repeat(100) + "]".repeat(100) + "}";
        assertEquals(ErrorCode.BAD_FRAME, refused(deep).code());
    }

    @Test
    void aMessageEncodesAsOneLineAndDecodesBack() throws ProtocolException {
        Msg m = new Msg(41, "m-1", "alice", "bob", null, "line one\nline \"two\" ☺", null, 1700000000000L);
        byte[] line = codec.encode(m);
        assertEquals('\n', line[line.length - 1]);
        for (int i = 0; i < line.length - 1; i++) assertEquals(false, line[i] == '\n', "a newline inside the frame");
        assertEquals(m, codec.decodeServer(line, 0, line.length - 1));
    }

    @Test
    void aMessageLongerThanTheEncodersBufferIsStillOneWholeLine() throws ProtocolException {
        // given a body of 60,000 characters, several times the generator's 8,000-byte buffer
        Msg m = new Msg(7, "m-2", "alice", "bob", null, "0123456789".repeat(6_000), null, 1700000000000L);

        byte[] line = codec.encode(m);

        assertEquals('\n', line[line.length - 1]);
        assertEquals(m, codec.decodeServer(line, 0, line.length - 1));
    }

    @Test
    void anErrorCodeThisVersionDoesNotKnowIsUnrecognizedNotInternal() throws ProtocolException {
        // given an error frame from a newer server, with a code this version does not know
        byte[] line = "{\"type\":\"error\",\"id\":\"7\",\"code\":\"too_many_cats\",\"message\":\"one is enough\"}"
                .getBytes(StandardCharsets.UTF_8);

        // when the client library decodes it
        ServerFrame frame = codec.decodeServer(line, 0, line.length);

        // then it is not taken for internal (which would tell the client to retry), and the code is kept
        assertEquals(new ServerFrame.Error("7", ErrorCode.UNRECOGNIZED, "too_many_cats: one is enough"), frame);
    }

    @Test
    void errorsWithoutARequestCarryNoId() {
        String json = new String(codec.encode(new ServerFrame.Error(null, ErrorCode.SESSION_REPLACED, null)),
                StandardCharsets.UTF_8);
        assertEquals("{\"type\":\"error\",\"code\":\"session_replaced\"}\n", json);
    }

    @Test
    void aReceiptWithoutSeqIsItsAdvanceCopy() throws ProtocolException {
        ServerFrame.ReceiptNotice early = new ServerFrame.ReceiptNotice("m-1", ServerFrame.ReceiptStatus.READ, "bob", 17L);
        byte[] line = codec.encode(early);
        assertEquals("{\"type\":\"receipt\",\"msg\":\"m-1\",\"status\":\"read\",\"by\":\"bob\",\"ts\":17}\n",
                new String(line, StandardCharsets.UTF_8));
        assertEquals(early, codec.decodeServer(line, 0, line.length - 1));
        byte[] item = codec.encode(new ServerFrame.Receipt(9, "m-1", ServerFrame.ReceiptStatus.READ, "bob", 17L));
        assertEquals(new ServerFrame.Receipt(9, "m-1", ServerFrame.ReceiptStatus.READ, "bob", 17L),
                codec.decodeServer(item, 0, item.length - 1));
    }
}
