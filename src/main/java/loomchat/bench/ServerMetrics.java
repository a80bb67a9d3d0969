package loomchat.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The server's unlabelled counters, read from {@code GET /metrics} on its HTTP port.
 *
 * <p>The HTTP port is given apart from the chat port, so nothing but the counters themselves
 * says that both belong to one server: {@link #writeBackUnknown} checks that the scraped server
 * counted at least the sends the generator made, before its figures go into a report.
 */
final class ServerMetrics {
    static final String WRITTEN = "loomchat_inbox_items_written_total";
    static final String SKIPPED = "loomchat_inbox_items_skipped_total";
    static final String SENT = "loomchat_messages_sent_total";

    private ServerMetrics() {
    }

    /**
     * One reading of {@code /metrics}: name to value of every unlabelled sample, or why there is none.
     *
     * @param asked   false when no HTTP port was given (--http-port 0): nothing was tried
     * @param failure null if the page was read; else what went wrong (values is then empty)
     */
    record Scrape(boolean asked, Map<String, Double> values, String failure) {
        static Scrape failed(String why) {
            return new Scrape(true, Map.of(), why);
        }
    }

    static Scrape scrape(Target target) {
        if (target.httpPort() <= 0) return new Scrape(false, Map.of(), "metrics not read (--http-port 0)");
        URI uri = URI.create("http://" + target.host() + ":" + target.httpPort() + "/metrics");
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) return Scrape.failed("HTTP " + r.statusCode() + " from " + uri);
            Map<String, Double> out = new HashMap<>();
            for (String line : r.body().split("\n")) {
                if (line.startsWith("#") || line.contains("{")) continue;
                int sp = line.lastIndexOf(' ');
                if (sp < 0) continue;
                try {
                    out.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
                } catch (NumberFormatException ignored) {
                    // not a sample line
                }
            }
            return new Scrape(true, out, null);
        } catch (IOException e) {
            return Scrape.failed("cannot read " + uri + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Scrape.failed("interrupted while reading " + uri);
        }
    }

    /**
     * Scrapes once the server's write-back counters have stopped moving for 200 ms (or after
     * {@code patience}): the items of a round that just ended are counted as written or skipped
     * only when the committer has seen them, a few milliseconds after their ack.
     */
    static Scrape scrapeSettled(Target target, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        Scrape last = scrape(target);
        if (last.failure() != null) return last;
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            Thread.sleep(20);
            Scrape m = scrape(target);
            if (m.failure() != null) return m;
            if (settled(last) != settled(m)) stableSince = System.nanoTime();
            else if (System.nanoTime() - stableSince >= 200_000_000L) return m;
            last = m;
        }
        return last;
    }

    private static double settled(Scrape m) {
        return m.values().getOrDefault(WRITTEN, 0.0) + m.values().getOrDefault(SKIPPED, 0.0);
    }

    /**
     * Why the write-back between two scrapes cannot be reported, or null if it can: a scrape
     * failed, the counters are missing, or the scraped server is not the one under load.
     *
     * <p>The last is told by the server's count of sends: every send the generator had answered
     * with {@code ok} between the scrapes was counted by the server it went to (as its send was
     * taken; the after-scrape waits for the counters to settle, so a count made just after its
     * {@code ok} is in too), so a server that counted fewer is another one (an {@code --http-port} that belongs
     * to another server on the machine: it defaults to 7071 whatever {@code --port} says). A
     * count of open connections would be a weaker test: the generator does not know how many
     * other clients a server has, and it closes its own connections only after the scrape.
     */
    static String writeBackUnknown(Scrape before, Scrape after, long sendsAnswered) {
        if (before.failure() != null) return before.failure();
        if (after.failure() != null) return after.failure();
        for (String counter : new String[] {WRITTEN, SKIPPED, SENT}) {
            if (!before.values().containsKey(counter) || !after.values().containsKey(counter)) {
                return "the server's /metrics has no " + counter;
            }
        }
        long counted = delta(before.values(), after.values(), SENT);
        if (counted < sendsAnswered) {
            return "the server on the HTTP port counted " + counted + " sends during the round, the generator had "
                    + sendsAnswered + " answered: its /metrics are another server's (check --http-port)";
        }
        return null;
    }

    /** How much a counter grew between two scrapes (0 when either lacks it). */
    static long delta(Map<String, Double> before, Map<String, Double> after, String name) {
        Double a = after.get(name);
        Double b = before.get(name);
        return a == null || b == null ? 0 : Math.round(a - b);
    }
}
