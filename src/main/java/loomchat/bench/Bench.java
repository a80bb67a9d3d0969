package loomchat.bench;

import java.io.PrintStream;

/**
 * What every workload needs: the server, the token book, a probe of the server process (null
 * when its pid was not given), where progress lines go, and how many connects may be in flight.
 */
record Bench(Target target, TokenBook tokens, ServerProbe probe, PrintStream progressOut, int concurrency) {
}
