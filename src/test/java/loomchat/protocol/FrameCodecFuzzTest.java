package loomchat.protocol;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The codec's promise under hostile input: every line either becomes a frame record or a
 * {@link ProtocolException} with an error code, never any other exception.
 */
class FrameCodecFuzzTest {
    static final List<String> SEEDS = List.of(
            "{\"type\":\"register\",\"id\":\"1\",\"user\":\"alice\",\"password\":\"correct horse\"}",
            "{\"type\":\"login\",\"id\":\"2\",\"user\":\"alice\",\"token\":\"abc\"}",
            "{\"type\":\"send\",\"id\":\"c-17\",\"to\":\"bob\",\"body\":\"hi\",\"media\":{\"id\":\"m1\",\"mime\":\"image/jpeg\",\"size\":12}}",
            "{\"type\":\"ack\",\"seq\":41}",
            "{\"type\":\"read\",\"msg\":\"x:alice:bob:y\"}",
            "{\"type\":\"typing\",\"to\":\"bob\",\"state\":\"composing\"}",
            "{\"type\":\"group_create\",\"id\":\"6\",\"name\":\"climbing\",\"members\":[\"bob\",\"carol\"]}",
            "{\"type\":\"group_add\",\"id\":\"7\",\"group\":\"g-1\",\"users\":[\"dave\"]}");

    final FrameCodec codec = new FrameCodec(65536);

    @Test
    void randomMutationsOfValidFramesNeverEscapeAsUnexpectedExceptions() {
        Random random = new Random(42);
        for (int round = 0; round < 50_000; round++) {
            byte[] line = mutate(SEEDS.get(random.nextInt(SEEDS.size())).getBytes(StandardCharsets.UTF_8), random);
            decodeOrRefuse(line);
        }
    }

    @Test
    void pathologicalInputsAreRefusedWithAnErrorCode() {
        List<byte[]> nasty = List.of(
                "[".repeat(10_000).getBytes(StandardCharsets.UTF_8),                         // deep nesting
                ("{\"type\":\"ack\",\"seq\":" + "9".repeat(5000) + "}").getBytes(StandardCharsets.UTF_8),  // huge number
                ("{\"type\":\"ack\",\"seq\":1e999999}").getBytes(StandardCharsets.UTF_8),
                ("{\"type\":\"send\",\"id\":\"1\",\"to\":\"bob\",\"body\":" + "{\"a\":".repeat(100) + "1" + "}".repeat(100) + "}")
                        .getBytes(StandardCharsets.UTF_8),
                new byte[] {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}, // invalid UTF-8
                new byte[] {0, 0, 0, 0},                                                      // NUL bytes
                "{\"type\":\"ping\",\"id\":\"1\u0000\"}".getBytes(StandardCharsets.UTF_8),
                "{\"type\":42,\"id\":[1,2]}".getBytes(StandardCharsets.UTF_8),                // wrong types
                "{\"type\":\"send\",\"id\":\"1\",\"to\":[\"bob\"],\"body\":{}}".getBytes(StandardCharsets.UTF_8),
                "{\"type\":\"group_create\",\"id\":\"1\",\"name\":\"x\",\"members\":\"bob\"}".getBytes(StandardCharsets.UTF_8),
                "{\"type\":\"ack\",\"seq\":-1}".getBytes(StandardCharsets.UTF_8),
                "{\"type\":\"ack\",\"seq\":1.5}".getBytes(StandardCharsets.UTF_8),
                "\"just a string\"".getBytes(StandardCharsets.UTF_8),
                "{\"type\":\"ping\",\"id\":\"1\"} trailing".getBytes(StandardCharsets.UTF_8),
                "{\"type\":\"ping\",\"id\":\"1\"".getBytes(StandardCharsets.UTF_8));          // truncated
        for (byte[] line : nasty) decodeOrRefuse(line);
    }

    private void decodeOrRefuse(byte[] line) {
        try {
            assertNotNull(codec.decodeClient(line, 0, line.length));
        } catch (ProtocolException expected) {
            assertNotNull(expected.code());
        } catch (RuntimeException | StackOverflowError e) {
            fail("input " + new String(line, StandardCharsets.UTF_8) + " escaped as " + e, e);
        }
    }

    private static byte[] mutate(byte[] seed, Random random) {
        byte[] b = seed.clone();
        int edits = 1 + random.nextInt(4);
        for (int i = 0; i < edits; i++) {
            switch (random.nextInt(4)) {
                case 0 -> b[random.nextInt(b.length)] = (byte) random.nextInt(256);       // flip a byte
                case 1 -> b = java.util.Arrays.copyOf(b, 1 + random.nextInt(b.length));   // truncate
                case 2 -> {                                                             // duplicate a slice
                    int from = random.nextInt(b.length);
                    int len = Math.min(b.length - from, 1 + random.nextInt(16));
                    byte[] out = new byte[b.length + len];
                    System.arraycopy(b, 0, out, 0, from + len);
                    System.arraycopy(b, from, out, from + len, b.length - from);
                    b = out;
                }
                default -> {                                                            // a JSON-ish byte
                    byte[] alphabet = "{}[]\":,0-e.\\ntu".getBytes(StandardCharsets.UTF_8);
                    b[random.nextInt(b.length)] = alphabet[random.nextInt(alphabet.length)];
                }
            }
        }
        return b;
    }
}
