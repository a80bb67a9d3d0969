package loomchat.chat;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.locks.ReentrantLock;
import loomchat.store.MessageIdShrinker;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Message ids that say, verifiably, who sent a message and to whom.
 *
 * <p>Storage is transient: once a message is delivered the server forgets it. Yet a later
 * {@code read} must reach the right sender, and only from the right reader. So the id carries
 * both, signed: {@code <nonce>:<from>:<to or #group>:<mac>}, the MAC an HMAC-SHA256 under a key
 * kept in the database. The server checks a {@code read} from the id alone, with no table of
 * past messages. Clients treat the id as opaque.
 *
 * <p>A group target is marked with {@code #}, which no user name may contain: a user may be
 * named {@code g-bob}, or exactly like a group id, and the id must not leave the server to guess
 * from the name which of the two a message went to.
 *
 * <p>The nonce is not random but an HMAC of the send (sender, target, request id, time), under
 * the same key. Two messages get one id only if one sender sends them to one target under one
 * request id in the same millisecond, which the send keys allow only for a send refused before
 * anything was delivered. The nonce lets a send key keep only the target of its id and rebuild
 * the rest ({@link #expand}):
 * a sender's send ids are kept a day, and the id was most of a key's bytes. Ids made before
 * nonces were derived have a nonce one character longer; their keys keep them whole.
 */
public final class MessageIds implements MessageIdShrinker {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final int NONCE_BYTES = 8;
    /** The nonce's length in an id: 8 bytes in unpadded base64. Random 9-byte nonces took 12. */
    private static final int NONCE_CHARS = 11;
    private static final int MAC_BYTES = 12;

    /** What an id says: its sender, and either its recipient or its group. */
    public record Parsed(String from, String to, String group) {
    }

    private final Stripe[] stripes;

    public MessageIds(byte[] secret) {
        SecretKeySpec key = new SecretKeySpec(secret, "HmacSHA256");
        // Several carriers make ids at once; a lock for each of a few stripes, not one for all.
        this.stripes = new Stripe[Integer.highestOneBit(4 * Runtime.getRuntime().availableProcessors())];
        for (int i = 0; i < stripes.length; i++) stripes[i] = new Stripe(key);
    }

    /** Marks a group target in an id; user names never contain it. */
    private static final String GROUP_MARK = "#";

    /** The id of the message {@code from} sent to the user {@code to} as {@code requestId} at {@code ts}. */
    public String newId(String from, String to, String requestId, long ts) {
        return make(from, to, requestId, ts);
    }

    /** The id of the message {@code from} sent to the group {@code group} as {@code requestId} at {@code ts}. */
    public String newGroupId(String from, String group, String requestId, long ts) {
        return make(from, GROUP_MARK + group, requestId, ts);
    }

    /**
     * Keeps an id's target ({@code bob}, {@code #g-7}). An id with a random nonce stays whole, and
     * so does one whose target holds a {@code :} (a group name no group has, in a send refused
     * for it), which {@link #expand} would take for a whole id.
     */
    @Override
    public String shrink(String msg) {
        if (msg.indexOf(':') != NONCE_CHARS) return msg;
        int target = msg.indexOf(':', NONCE_CHARS + 1) + 1;
        int mac = msg.lastIndexOf(':');
        boolean threeParts = target > 0 && mac > target && msg.indexOf(':', target) == mac;
        return threeParts ? msg.substring(target, mac) : msg;
    }

    /** Rebuilds an id from its target and the send; anything holding a {@code :} was kept whole. */
    @Override
    public String expand(String kept, String sender, String requestId, long ts) {
        return kept.indexOf(':') >= 0 ? kept : make(sender, kept, requestId, ts);
    }

    private String make(String from, String target, String requestId, long ts) {
        Stripe stripe = stripe();
        stripe.lock.lock();
        try {
            String head = stripe.nonce(from, target, requestId, ts) + ":" + from + ":" + target;
            return head + ":" + stripe.mac(head);
        } finally {
            stripe.lock.unlock();
        }
    }

    /** The sender and target of a genuine id, or null for anything this server did not issue. */
    public Parsed parse(String id) {
        int last = id.lastIndexOf(':');
        if (last < 0) return null;
        String head = id.substring(0, last);
        Stripe stripe = stripe();
        String expected;
        stripe.lock.lock();
        try {
            expected = stripe.mac(head);
        } finally {
            stripe.lock.unlock();
        }
        byte[] given = id.substring(last + 1).getBytes(StandardCharsets.US_ASCII);
        if (!java.security.MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), given)) {
            return null;
        }
        String[] parts = head.split(":", -1);
        if (parts.length != 3) return null;
        String target = parts[2];
        return target.startsWith(GROUP_MARK)
                ? new Parsed(parts[1], null, target.substring(1))
                : new Parsed(parts[1], target, null);
    }

    private Stripe stripe() {
        return stripes[(int) (Thread.currentThread().threadId() & (stripes.length - 1))];
    }

    /**
     * One keyed Mac, used under the stripe's lock: looking a Mac up and keying it cost more than
     * the MAC itself, so it is made once.
     */
    private static final class Stripe {
        final ReentrantLock lock = new ReentrantLock();
        final Mac mac;

        Stripe(SecretKeySpec key) {
            try {
                mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
            }
        }

        /**
         * The nonce of the send's id. Its input starts with a NUL, which no id's head holds, so
         * a nonce is never some head's MAC; the time comes last and has no NUL, so a request id
         * holding NULs cannot pass for another request id at another time.
         */
        String nonce(String from, String target, String requestId, long ts) {
            String send = "\0" + from + "\0" + target + "\0" + requestId + "\0" + ts;
            byte[] full = mac.doFinal(send.getBytes(StandardCharsets.UTF_8));
            return B64.encodeToString(java.util.Arrays.copyOf(full, NONCE_BYTES));
        }

        String mac(String head) {
            byte[] full = mac.doFinal(head.getBytes(StandardCharsets.UTF_8)); // doFinal also resets it for reuse
            return B64.encodeToString(java.util.Arrays.copyOf(full, MAC_BYTES));
        }
    }

    /** A new random key for a new server. */
    public static byte[] newSecret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
