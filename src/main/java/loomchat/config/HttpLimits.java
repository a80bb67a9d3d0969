package loomchat.config;

import java.time.Duration;

/**
 * What bounds the HTTP port, so that no client holds its sockets for long without doing
 * anything: see {@code config.yaml} for each.
 *
 * @param maxConnections connections open at once ({@code http_max_connections})
 * @param perAddress of those, from one address, an IPv6 /64 counting as one ({@code http_per_address})
 * @param headerTimeout longest a request's head may take once it started ({@code http_header_timeout})
 * @param idleTimeout longest a kept connection may wait for its next request ({@code http_idle_timeout})
 * @param transferTimeout longest an upload's body, or a download, may take ({@code http_transfer_timeout})
 */
public record HttpLimits(int maxConnections, int perAddress, Duration headerTimeout, Duration idleTimeout,
        Duration transferTimeout) {
}
