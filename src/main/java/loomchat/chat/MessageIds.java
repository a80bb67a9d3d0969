package loomchat.chat;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.ArrayBlockingQueue;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Message ids that say, verifiably, who sent a message and to whom.
 *
 * <p>Storage is transient: once a message is delivered the server forgets it. Yet a later
 * {@code read} must reach the right sender, and only from the right reader. So the id carries
 * both, signed: {@code <nonce>:<from>:<to or group>:<mac>}, the MAC an HMAC-SHA256 under a key
 * kept in the database. The server checks a {@code read} from the id alone, with no table of
 * past messages. Clients treat the id as opaque.
 */
public final class MessageIds {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final int NONCE_BYTES = 9;
    private static final int MAC_BYTES = 12;

    /** What an id says: its sender, and either its recipient or its group. */
    public record Parsed(String from, String to, String group) {
    }

    /** Initialised Macs to reuse: looking one up and keying it cost more than the MAC itself. */
    private static final int POOLED_MACS = 64;

    private final SecretKeySpec key;
    /**
     * DRBG rather than the platform default (NativePRNG), which reads /dev/urandom under one
     * global lock on every call: a system call per message on the send path.
     */
    private final SecureRandom random;
    private final ArrayBlockingQueue<Mac> macs = new ArrayBlockingQueue<>(POOLED_MACS);

    public MessageIds(byte[] secret) {
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        SecureRandom r;
        try {
            r = SecureRandom.getInstance("DRBG");
        } catch (GeneralSecurityException e) {
            r = new SecureRandom();
        }
        this.random = r;
    }

    /** A fresh id for a message from {@code from} to a user or a group id ({@code g-...}). */
    public String newId(String from, String target) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        String head = B64.encodeToString(nonce) + ":" + from + ":" + target;
        return head + ":" + mac(head);
    }

    /** The sender and target of a genuine id, or null for anything this server did not issue. */
    public Parsed parse(String id) {
        int last = id.lastIndexOf(':');
        if (last < 0) return null;
        String head = id.substring(0, last);
        if (!java.security.MessageDigest.isEqual(
                mac(head).getBytes(StandardCharsets.US_ASCII), id.substring(last + 1).getBytes(StandardCharsets.US_ASCII))) {
            return null;
        }
        String[] parts = head.split(":", -1);
        if (parts.length != 3) return null;
        String target = parts[2];
        return target.startsWith("g-") ? new Parsed(parts[1], null, target) : new Parsed(parts[1], target, null);
    }

    private String mac(String head) {
        Mac mac = macs.poll();
        if (mac == null) mac = newMac();
        byte[] full = mac.doFinal(head.getBytes(StandardCharsets.UTF_8)); // doFinal also resets it for reuse
        macs.offer(mac); // dropped if the pool is full: it holds at most POOLED_MACS
        return B64.encodeToString(java.util.Arrays.copyOf(full, MAC_BYTES));
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** A new random key for a new server. */
    public static byte[] newSecret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
