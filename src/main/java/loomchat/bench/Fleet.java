package loomchat.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import java.util.function.Consumer;
import loomchat.client.ChatClient;
import loomchat.client.ChatException;

/**
 * Opens many logged-in clients at once, on as many virtual threads as may connect and log in at
 * the same moment ({@code --concurrency}): an unbounded burst overflows the server's accept queue,
 * and a dropped SYN is retried only after a second, which would measure the kernel, not the server.
 */
final class Fleet {
    private Fleet() {
    }

    /**
     * Logs in {@code users[i]} as client number {@code first + i}; {@code setup.apply(i)} prepares
     * each client before its login. Failed clients are null in the result and counted in {@code errors}.
     *
     * @param latency records connect-to-login time per client (may be null)
     * @param opened  counts clients logged in, for the progress line
     */
    static ChatClient[] open(Bench bench, List<String> users, int first, IntFunction<Consumer<ChatClient>> setup,
                             Latency latency, LongAdder opened, LongAdder errors) throws InterruptedException {
        ChatClient[] clients = new ChatClient[users.size()];
        // As many virtual threads as may connect at once, each taking the next client: a thread
        // per client waiting on a semaphore cost every client an extra park and unpark.
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < Math.min(bench.concurrency(), users.size()); t++) {
            threads.add(Thread.ofVirtual().name("bench-connect").start(() -> {
                for (int k = next.getAndIncrement(); k < clients.length; k = next.getAndIncrement()) {
                    clients[k] = openOne(bench, users.get(k), first + k, setup.apply(k), latency, opened, errors);
                }
            }));
        }
        for (Thread t : threads) t.join();
        return clients;
    }

    /** Logs one user in as client number {@code n}; returns null (counted in {@code errors}) if it fails. */
    private static ChatClient openOne(Bench bench, String user, int n, Consumer<ChatClient> setup,
                              Latency latency, LongAdder opened, LongAdder errors) {
        long start = System.nanoTime();
        try {
            ChatClient c = bench.tokens().login(bench.target(), n, user, setup);
            if (latency != null) latency.recordNanos(System.nanoTime() - start);
            opened.increment();
            return c;
        } catch (IOException | ChatException e) {
            errors.increment();
            if (errors.sum() <= 3) bench.progressOut().println("connect/login of " + user + " failed: " + e);
            return null;
        }
    }

    /** Closes every client, in parallel (a close waits briefly for its reader thread). */
    static void closeAll(ChatClient[] clients) throws InterruptedException {
        forAll(clients, ChatClient::close);
    }

    /** Drops every client at once, as a network failure would (a reset, not a goodbye). */
    static void dropAll(ChatClient[] clients) throws InterruptedException {
        forAll(clients, ChatClient::abort);
    }

    private static void forAll(ChatClient[] clients, Consumer<ChatClient> action) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        int chunk = 16; // in parallel: a drop should be as sudden as the generator can make it
        for (int from = 0; from < clients.length; from += chunk) {
            int a = from;
            int b = Math.min(clients.length, from + chunk);
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = a; i < b; i++) if (clients[i] != null) action.accept(clients[i]);
            }));
        }
        for (Thread t : threads) t.join();
    }

    /** Names {@code prefix0 .. prefix(n-1)}. */
    static List<String> names(String prefix, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(prefix + i);
        return out;
    }
}
