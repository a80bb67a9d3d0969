package loomchat.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import loomchat.client.ChatClient;
import loomchat.client.ChatException;
import loomchat.protocol.ErrorCode;

/**
 * The bench's accounts and their login tokens, kept in a file between runs.
 *
 * <p>Registering costs a PBKDF2 hash ({@code password_iterations}, 600,000 by default: about
 * 0.13 s of CPU each on the benchmark box), and so does every password login. So each bench
 * user is registered and logged in by password once per server; its token goes into the book,
 * and every later connection, in this run or the next, logs in by token, which costs a lookup.
 */
final class TokenBook {
    static final String PASSWORD = "bench-password";

    private final Path file;
    private final Map<String, String> tokens = new ConcurrentHashMap<>();
    private final ReentrantLock saving = new ReentrantLock();
    private final AtomicLong registered = new AtomicLong();
    private final AtomicLong passwordLogins = new AtomicLong();

    /** A book kept in {@code file} (read now if it exists), or only in memory if it is null. */
    TokenBook(Path file) throws IOException {
        this.file = file;
        if (file != null && Files.isRegularFile(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length == 2) tokens.put(f[0], f[1]);
            }
        }
    }

    /** The login token of {@code user}, or null if it has none yet ({@link #ensure} gives it one). */
    String token(String user) {
        return tokens.get(user);
    }

    /** Accounts this run had to create. */
    long registered() {
        return registered.get();
    }

    /** Password logins this run had to make (each costs a slow hash on the server). */
    long passwordLogins() {
        return passwordLogins.get();
    }

    /**
     * Makes sure every user has an account and a token, registering those that lack one. A book
     * from another server (its tokens refused) is thrown away first.
     */
    void ensure(Target target, List<String> users, int concurrency) throws IOException, InterruptedException {
        if (!users.isEmpty() && tokens.containsKey(users.get(0)) && !tokenWorks(target, users.get(0))) {
            tokens.clear(); // the server was reset since the book was written
        }
        List<String> missing = new ArrayList<>();
        for (String u : users) if (!tokens.containsKey(u)) missing.add(u);
        if (missing.isEmpty()) return;
        // Hashing is bounded by the server's hash_concurrency anyway; more in flight only queue there.
        Semaphore slots = new Semaphore(Math.min(concurrency, 64));
        List<Thread> threads = new ArrayList<>();
        ConcurrentHashMap<String, Exception> failures = new ConcurrentHashMap<>();
        for (int i = 0; i < missing.size(); i++) {
            String user = missing.get(i);
            int n = i;
            slots.acquire();
            threads.add(Thread.ofVirtual().name("bench-register").start(() -> {
                try {
                    signUpWithRetries(target, n, user);
                } catch (IOException | ChatException e) {
                    failures.put(user, e);
                } finally {
                    slots.release();
                }
            }));
        }
        for (Thread t : threads) t.join();
        save();
        if (!failures.isEmpty()) {
            Map.Entry<String, Exception> first = failures.entrySet().iterator().next();
            throw new IOException(failures.size() + " bench users could not be registered; " + first.getKey()
                    + ": " + first.getValue().getMessage(), first.getValue());
        }
    }

    /**
     * Connects client number {@code n} and logs {@code user} in by token. {@code setup} runs
     * before the login (listeners must be in place before the server starts pushing). If the
     * token is refused, the user is registered again and logged in by password.
     */
    ChatClient login(Target target, int n, String user, Consumer<ChatClient> setup) throws IOException {
        ChatClient c = target.connect(n);
        try {
            setup.accept(c);
            String token = tokens.get(user);
            if (token != null) {
                try {
                    c.loginWithToken(user, token);
                    return c;
                } catch (ChatException e) {
                    if (e.code() != ErrorCode.BAD_CREDENTIALS) throw e;
                }
            }
            signUp(c, user);
            save();
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Registers and logs in on a connection of its own, trying again after a refusal that says
     * "later" ({@code internal}: a database wait timed out while thousands register at once).
     */
    private void signUpWithRetries(Target target, int n, String user) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (ChatClient c = target.connect(n)) {
                signUp(c, user);
                return;
            } catch (ChatException e) {
                boolean later = e.code() == null || e.code() == ErrorCode.INTERNAL || e.code() == ErrorCode.OVERLOADED;
                if (!later || attempt == 3) throw e;
            }
            try {
                Thread.sleep(200L * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while registering " + user, e);
            }
        }
    }

    private void signUp(ChatClient c, String user) {
        try {
            c.register(user, PASSWORD);
            registered.incrementAndGet();
        } catch (ChatException e) {
            if (e.code() != ErrorCode.USER_EXISTS) throw e;
        }
        tokens.put(user, c.login(user, PASSWORD).token());
        passwordLogins.incrementAndGet();
    }

    private boolean tokenWorks(Target target, String user) throws IOException {
        try (ChatClient c = target.connect(0)) {
            c.loginWithToken(user, tokens.get(user));
            return true;
        } catch (ChatException e) {
            return false;
        }
    }

    private void save() throws IOException {
        if (file == null) return;
        saving.lock();
        try {
            StringBuilder b = new StringBuilder();
            tokens.forEach((u, t) -> b.append(u).append(' ').append(t).append('\n'));
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, b, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            saving.unlock();
        }
    }
}
