package loomchat.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Every setting of a loomchat server, already checked; see {@code config.yaml} for what each means.
 *
 * @param dbUrl a JDBC URL, or null for the embedded H2 database under {@code dataDir}
 * @param httpLimits what bounds the HTTP port's connections
 * @param tlsKeystore a PKCS12 keystore for TLS on both ports, or null for plain TCP and HTTP
 */
public record Config(
        String serverName,
        String bind,
        int port,
        int httpPort,
        Path dataDir,
        String dbUrl,
        String dbUser,
        String dbPassword,
        int dbPoolSize,
        int partitions,
        int commitLanes,
        Duration groupCommitDelay,
        Duration ackGrace,
        int groupCommitMaxBatch,
        long groupCommitMaxBatchBytes,
        int commitQueueCapacity,
        int maxFrameBytes,
        int maxBadFrames,
        Duration idleTimeout,
        Duration loginTimeout,
        int outboxCapacity,
        int socketSendBuffer,
        int maxInboxItems,
        long maxInboxBytes,
        int inboxSendersToFill,
        int maxConnections,
        int anonymousPerAddress,
        HttpLimits httpLimits,
        int passwordIterations,
        int hashConcurrency,
        Duration tokenTtl,
        int tokensPerUser,
        int sendKeysPerUser,
        Duration sendKeyTtl,
        int maxGroupSize,
        int maxGroupsPerUser,
        int maxSubscriptions,
        Duration mediaTtl,
        long maxMediaBytes,
        long mediaQuota,
        long mediaMinFreeBytes,
        double sendRate,
        int sendBurst,
        int loginFailuresPerUser,
        int loginFailuresPerAddress,
        Duration loginFailureWindow,
        int registrationsPerAddress,
        Duration registrationWindow,
        Duration writeStallTimeout,
        Path tlsKeystore,
        String tlsKeystorePassword) {

    /** The JDBC URL actually used: the configured one, or an H2 file under the data directory. */
    public String jdbcUrl() {
        if (dbUrl != null) return dbUrl;
        // WRITE_DELAY=0: a committed transaction reaches the file before commit() returns, so an
        // `ok` survives kill -9 of the process (group commit keeps the number of commits small).
        return "jdbc:h2:file:" + dataDir.toAbsolutePath().normalize().resolve("loomchat") + ";WRITE_DELAY=0";
    }
}
