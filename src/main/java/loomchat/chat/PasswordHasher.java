package loomchat.chat;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.Semaphore;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Slow salted password hashing with the JDK's PBKDF2-HMAC-SHA256.
 *
 * <p>Hashing is meant to be expensive, so at most {@code concurrency} hashes run at once: a
 * flood of logins queues here (virtual threads wait cheaply) instead of taking every core from
 * the people already chatting.
 */
public final class PasswordHasher {
    public static final int SALT_BYTES = 16;
    public static final int HASH_BITS = 256;

    private final int iterations;
    private final Semaphore permits;
    private final SecureRandom random = new SecureRandom();

    public PasswordHasher(int iterations, int concurrency) {
        this.iterations = iterations;
        this.permits = new Semaphore(concurrency, true);
    }

    public int iterations() {
        return iterations;
    }

    public byte[] newSalt() {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        return salt;
    }

    public byte[] hash(String password, byte[] salt, int iterations) {
        permits.acquireUninterruptibly();
        try {
            PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, HASH_BITS);
            try {
                return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            } finally {
                spec.clearPassword();
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is part of every JDK", e);
        } finally {
            permits.release();
        }
    }

    /** Compares in time independent of where the hashes differ. */
    public static boolean same(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }
}
