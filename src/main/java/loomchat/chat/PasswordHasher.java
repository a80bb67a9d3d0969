package loomchat.chat;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Slow salted password hashing with the JDK's PBKDF2-HMAC-SHA256, on threads of its own.
 *
 * <p>Hashing is meant to be expensive (0.13 s of CPU at the default 600,000 iterations on the
 * 2-core box of docs/performance.md), so it runs on at most {@code concurrency} platform
 * threads and a flood of logins waits in their queue (the callers, virtual threads, wait
 * cheaply) instead of taking every core from the people already chatting. Platform threads,
 * not the callers' own: a virtual thread is not preempted, so a hash computed on one would
 * hold its carrier for the whole hash, and with one hash per carrier every connection of the
 * server would stall until they finished (chat's p99 was 212 ms in such a flood, 7 ms since).
 * The OS shares a core between a hashing thread and a carrier. They also keep the JDK's
 * per-thread cache of provider lookups (which PBKDF2 makes on every call) off the connections'
 * threads, which live as long as their connections.
 *
 * <p>The queue is bounded ({@link #QUEUE_PER_THREAD} a thread, about 8 s of waiting at the
 * default cost): past it, {@link #hash} refuses at once, and the client hears {@code overloaded}
 * instead of waiting longer than it would for any answer. Each waiting task is a connection
 * whose reader is blocked on it, so {@code max_connections} bounded it before, but a hundred
 * thousand logins queued behind two threads would be answered hours later.
 */
public final class PasswordHasher implements AutoCloseable {
    public static final int SALT_BYTES = 16;
    public static final int HASH_BITS = 256;

    private final int iterations;
    private final ThreadPoolExecutor threads;
    private final SecureRandom random = new SecureRandom();

    /** Hashes waiting, per hashing thread, before more are refused. */
    public static final int QUEUE_PER_THREAD = 64;

    /** @param queued hashes that may wait for a thread; past that, {@link #hash} refuses */
    public PasswordHasher(int iterations, int concurrency, int queued) {
        this.iterations = iterations;
        this.threads = new ThreadPoolExecutor(concurrency, concurrency, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(queued), Thread.ofPlatform().name("loomchat-hash-", 0).daemon().factory());
        this.threads.allowCoreThreadTimeOut(true); // no threads kept while nobody logs in
    }

    public int iterations() {
        return iterations;
    }

    /** Hashes waiting for a thread, not counting those being computed. */
    public int waiting() {
        return threads.getQueue().size();
    }

    public byte[] newSalt() {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        return salt;
    }

    /**
     * Hashes {@code password} on one of the hashing threads; the caller waits for it.
     *
     * @throws java.util.concurrent.RejectedExecutionException if the queue is full (or the
     *         hasher closed)
     */
    public byte[] hash(String password, byte[] salt, int iterations) {
        Future<byte[]> hashed = threads.submit(() -> pbkdf2(password, salt, iterations));
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return hashed.get();
                } catch (InterruptedException e) {
                    interrupted = true; // finish the login; whoever interrupted sees the flag after
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private static byte[] pbkdf2(String password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, HASH_BITS);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is part of every JDK", e);
        } finally {
            spec.clearPassword();
        }
    }

    /** Compares in time independent of where the hashes differ. */
    public static boolean same(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    /** Stops the hashing threads; the logins still waiting for a hash fail. */
    @Override
    public void close() {
        for (Runnable queued : threads.shutdownNow()) {
            if (queued instanceof Future<?> f) f.cancel(false); // its caller would wait forever otherwise
        }
    }
}
