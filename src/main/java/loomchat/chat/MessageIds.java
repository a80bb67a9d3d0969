package loomchat.chat;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.locks.ReentrantLock;
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
 */
public final class MessageIds {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final int NONCE_BYTES = 9;
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

    /** A fresh id for a message from {@code from} to the user {@code to}. */
    public String newId(String from, String to) {
        return make(from, to);
    }

    /** A fresh id for a message from {@code from} to the group {@code group}. */
    public String newGroupId(String from, String group) {
        return make(from, GROUP_MARK + group);
    }

    private String make(String from, String target) {
        byte[] nonce = new byte[NONCE_BYTES];
        Stripe stripe = stripe();
        stripe.lock.lock();
        try {
            stripe.random.nextBytes(nonce);
            String head = B64.encodeToString(nonce) + ":" + from + ":" + target;
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
     * One keyed Mac and one random source, used under the stripe's lock: looking a Mac up and
     * keying it cost more than the MAC itself, so they are made once.
     */
    private static final class Stripe {
        final ReentrantLock lock = new ReentrantLock();
        final Mac mac;
        /**
         * DRBG rather than the platform default (NativePRNG), which reads /dev/urandom under one
         * global lock on every call: a system call per message on the send path.
         */
        final SecureRandom random;

        Stripe(SecretKeySpec key) {
            try {
                mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
            }
            SecureRandom r;
            try {
                r = SecureRandom.getInstance("DRBG");
            } catch (GeneralSecurityException e) {
                r = new SecureRandom();
            }
            random = r;
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
