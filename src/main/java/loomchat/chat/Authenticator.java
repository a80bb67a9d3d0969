package loomchat.chat;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import loomchat.db.Accounts;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.ProtocolException;
import loomchat.store.ChatStore;

/**
 * Registration, login by password or token, and logout.
 *
 * <p>A failed login says {@code bad_credentials} whatever the reason, and an unknown user costs
 * the same hashing as a wrong password, so neither the answer nor its timing tells whether an
 * account exists. Tokens are random, stored only as their SHA-256, and a token login costs a
 * look in the token cache (an indexed lookup on a miss) and no password hashing: it is how
 * clients come back after a network flap, so failed password logins for a name never block it
 * ({@link LoginThrottle}).
 */
public final class Authenticator {
    private static final int TOKEN_BYTES = 32;
    /** Tokens remembered in memory: about 200 bytes each, so at most ~100 MB. */
    private static final int TOKEN_CACHE_CAPACITY = 500_000;
    /**
     * Never used itself, only cloned. {@code MessageDigest.getInstance} on every token login would
     * leave the JDK's per-thread cache of provider lookups (a thread-local) on the connection's
     * thread, which lives as long as the connection: about 200 bytes each, a fifth of a
     * gigabyte at a million connections.
     */
    private static final MessageDigest SHA256;

    static {
        try {
            SHA256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** A successful login: whose it is and the token (new for a password login, the same one for a token login). */
    public record LoggedIn(String user, String token, byte[] tokenHash, boolean byToken) {
    }

    private final Accounts accounts;
    private final ChatStore store;
    private final PasswordHasher hasher;
    private final LoginThrottle throttle;
    private final WindowCounter registrations;
    private final long tokenTtlMillis;
    private final int tokensPerUser;
    private final AtomicLong lastExpiry = new AtomicLong();
    private final SecureRandom random = new SecureRandom();
    private final TokenCache tokens = new TokenCache(TOKEN_CACHE_CAPACITY);
    private final byte[] decoySalt;
    private final byte[] decoyHash;

    /**
     * @param registrationsPerAddress accounts one address may try to create (each costs a hash)
     *                                within {@code registrationWindow}
     * @param tokensPerUser tokens kept per user: a password login past it revokes the oldest
     */
    public Authenticator(Accounts accounts, ChatStore store, PasswordHasher hasher, LoginThrottle throttle,
                         int registrationsPerAddress, Duration registrationWindow, Duration tokenTtl,
                         int tokensPerUser) {
        this.accounts = accounts;
        this.store = store;
        this.hasher = hasher;
        this.throttle = throttle;
        this.registrations = new WindowCounter(registrationsPerAddress, registrationWindow.toMillis());
        this.tokenTtlMillis = tokenTtl.toMillis();
        this.tokensPerUser = tokensPerUser;
        this.decoySalt = hasher.newSalt();
        this.decoyHash = new byte[PasswordHasher.HASH_BITS / 8];
    }

    /**
     * Creates an account.
     *
     * @param address the client's address: each address may try only so many registrations in a
     *                window, since each costs a password hash and an account kept in memory
     */
    public void register(String requestId, String user, String password, String address) throws ProtocolException {
        long now = System.currentTimeMillis();
        if (registrations.reached(address, now)) throw registrationsLimited(requestId);
        // A taken name costs no hash (the answer says it is taken anyway), so it is not counted;
        // the insert below still decides a race between two registrations of one name.
        if (store.exists(user)) {
            throw new ProtocolException(ErrorCode.USER_EXISTS, requestId, "user '" + user + "' exists");
        }
        // Checked and counted in one step, before the hash, so that many registrations sent at
        // once cannot all pass the check while their hashes wait. Given back only if the hash was
        // refused: once it has run, it cost what the count is for, account or not.
        if (!registrations.admit(address, now)) throw registrationsLimited(requestId);
        byte[] salt = hasher.newSalt();
        byte[] hash;
        try {
            hash = hash(requestId, password, salt, hasher.iterations());
        } catch (ProtocolException refused) {
            registrations.uncount(address);
            throw refused;
        }
        try {
            if (!accounts.insertUser(user, salt, hash, hasher.iterations(), System.currentTimeMillis())) {
                throw new ProtocolException(ErrorCode.USER_EXISTS, requestId, "user '" + user + "' exists");
            }
        } catch (SQLException e) {
            throw internal(requestId, e);
        }
        store.addUser(user, 0, 0);
    }

    private static ProtocolException registrationsLimited(String requestId) {
        return new ProtocolException(ErrorCode.RATE_LIMITED, requestId,
                "too many registrations from this address; wait and try again");
    }

    /**
     * Checks a password and issues a new token.
     *
     * @param address the client's address, for throttling guessers
     */
    public LoggedIn loginWithPassword(String requestId, String user, String password, String address)
            throws ProtocolException {
        long now = System.currentTimeMillis();
        if (!throttle.attempt(user, address, now)) throw rateLimited(requestId);
        Accounts.Credentials cred;
        boolean matches;
        try {
            cred = accounts.credentials(user);
            // An unknown user is checked against a decoy at the same cost, so timing does not tell
            // that the account does not exist.
            Accounts.Credentials against = cred != null ? cred
                    : new Accounts.Credentials(decoySalt, decoyHash, hasher.iterations());
            matches = PasswordHasher.same(against.hash(),
                    hash(requestId, password, against.salt(), against.iterations()));
        } catch (SQLException e) {
            throttle.unchecked(user);
            throw internal(requestId, e);
        } catch (ProtocolException e) {
            throttle.unchecked(user); // the hash was refused: nothing was checked
            throw e;
        }
        if (cred == null || !matches) {
            throttle.failed(address, now); // the name was counted already
            throw badCredentials(requestId);
        }
        throttle.succeeded(user);
        String token = newToken();
        byte[] tokenHash = sha256(token);
        try {
            // Unique, so that "the oldest" is well defined for the tokens a user is allowed to keep.
            long expires = lastExpiry.accumulateAndGet(System.currentTimeMillis() + tokenTtlMillis,
                    (last, wanted) -> Math.max(last + 1, wanted));
            List<byte[]> evicted = accounts.insertToken(tokenHash, user, expires, tokensPerUser);
            for (byte[] old : evicted) tokens.remove(old); // after the delete: see TokenCache.put
            // A new token: nobody can have revoked it yet.
            tokens.put(tokenHash, new Accounts.TokenOwner(user, expires), System.currentTimeMillis(),
                    tokens.revocations());
        } catch (SQLException e) {
            throw internal(requestId, e);
        }
        return new LoggedIn(user, token, tokenHash, false);
    }

    public LoggedIn loginWithToken(String requestId, String user, String token, String address)
            throws ProtocolException {
        long now = System.currentTimeMillis();
        if (throttle.blocked(address, now)) throw rateLimited(requestId);
        byte[] tokenHash = sha256(token);
        Accounts.TokenOwner owner;
        try {
            owner = tokenOwner(tokenHash, now);
        } catch (SQLException e) {
            throw internal(requestId, e);
        }
        if (owner == null || !owner.user().equals(user) || owner.expires() < now) {
            throttle.failed(address, now);
            throw badCredentials(requestId);
        }
        return new LoggedIn(user, token, tokenHash, true);
    }

    /** Revokes a token: it no longer logs anyone in. */
    public void revoke(String requestId, byte[] tokenHash) throws ProtocolException {
        try {
            accounts.deleteToken(tokenHash);
            tokens.remove(tokenHash); // after the delete: see TokenCache.put
        } catch (SQLException e) {
            throw internal(requestId, e);
        }
    }

    /**
     * Whose a bearer token is, or null if it is unknown or expired (used by the HTTP side). Like a
     * token login it goes through the cache and is throttled per address: every unknown token
     * costs a database query, on the pool the group committer uses too.
     *
     * @throws SQLException if the database failed: the token may be good, and a token login in
     *     the same case is answered {@code internal}, not {@code bad_credentials}
     */
    public String tokenUser(String token, String address) throws SQLException {
        long now = System.currentTimeMillis();
        if (throttle.blocked(address, now)) return null;
        Accounts.TokenOwner owner = tokenOwner(sha256(token), now);
        if (owner == null || owner.expires() < now) {
            throttle.failed(address, now);
            return null;
        }
        return owner.user();
    }

    /** Whose a token is, expired or not: from the cache, or from the database (and then cached). */
    private Accounts.TokenOwner tokenOwner(byte[] tokenHash, long now) throws SQLException {
        long revocations = tokens.revocations(); // before the database is read: see TokenCache.put
        Accounts.TokenOwner owner = tokens.get(tokenHash);
        if (owner == null) {
            owner = accounts.tokenOwner(tokenHash);
            if (owner != null) tokens.put(tokenHash, owner, now, revocations);
        }
        return owner;
    }

    /** A password hash, or {@code overloaded} when more hashes are waiting than the hasher queues. */
    private byte[] hash(String requestId, String password, byte[] salt, int iterations) throws ProtocolException {
        try {
            return hasher.hash(password, salt, iterations);
        } catch (RejectedExecutionException e) {
            throw new ProtocolException(ErrorCode.OVERLOADED, requestId,
                    "too many logins and registrations at once; try again shortly");
        }
    }

    private String newToken() {
        byte[] b = new byte[TOKEN_BYTES];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static byte[] sha256(String s) {
        MessageDigest sha;
        try {
            sha = (MessageDigest) SHA256.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's SHA-256 can be cloned", e);
        }
        return sha.digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static ProtocolException rateLimited(String requestId) {
        return new ProtocolException(ErrorCode.RATE_LIMITED, requestId, "too many failed logins; wait and try again");
    }

    private static ProtocolException badCredentials(String requestId) {
        return new ProtocolException(ErrorCode.BAD_CREDENTIALS, requestId, "wrong user, password or token");
    }

    static ProtocolException internal(String requestId, Exception e) {
        System.getLogger(Authenticator.class.getName())
                .log(System.Logger.Level.WARNING, "database error: {0}", e.toString());
        return new ProtocolException(ErrorCode.INTERNAL, requestId, "the server could not complete this; try again");
    }
}
