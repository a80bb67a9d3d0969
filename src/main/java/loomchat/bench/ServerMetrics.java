package loomchat.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** The server's unlabelled counters, read from {@code GET /metrics} on its HTTP port. */
final class ServerMetrics {
    private ServerMetrics() {
    }

    /** Name to value of every unlabelled sample; empty if the HTTP port cannot be read. */
    static Map<String, Double> scrape(Target target) {
        Map<String, Double> out = new HashMap<>();
        if (target.httpPort() <= 0) return out;
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://" + target.host() + ":" + target.httpPort() + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
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
        } catch (IOException e) {
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }

    /**
     * Scrapes once the server's write-back counters have stopped moving for 200 ms (or after
     * {@code patience}): the items of a round that just ended are counted as written or skipped
     * only when the committer has seen them, a few milliseconds after their ack.
     */
    static Map<String, Double> scrapeSettled(Target target, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        Map<String, Double> last = scrape(target);
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            Thread.sleep(20);
            Map<String, Double> m = scrape(target);
            if (settled(last) != settled(m)) stableSince = System.nanoTime();
            else if (System.nanoTime() - stableSince >= 200_000_000L) return m;
            last = m;
        }
        return last;
    }

    private static double settled(Map<String, Double> m) {
        return m.getOrDefault("loomchat_inbox_items_written_total", 0.0)
                + m.getOrDefault("loomchat_inbox_items_skipped_total", 0.0);
    }

    /** How much a counter grew between two scrapes (0 when either lacks it). */
    static long delta(Map<String, Double> before, Map<String, Double> after, String name) {
        Double a = after.get(name);
        Double b = before.get(name);
        return a == null || b == null ? 0 : Math.round(a - b);
    }
}
