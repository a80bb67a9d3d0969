/**
 * Counters the hot path can bump without contention ({@link java.util.concurrent.atomic.LongAdder}),
 * histograms with fixed buckets ({@link loomchat.metrics.Histogram}: commit batch sizes and
 * latencies), gauges read at scrape time (open connections, the commit backlog), and their
 * rendering in the Prometheus text exposition format for {@code GET /metrics}. No metrics
 * library: a counter is a field, and {@link loomchat.metrics.Metrics#render} lists them.
 */
package loomchat.metrics;
