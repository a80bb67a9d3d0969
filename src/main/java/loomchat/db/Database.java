package loomchat.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import javax.sql.DataSource;
import loomchat.config.Config;

/**
 * The connection pool and the schema.
 *
 * <p>The pool is deliberately small: it is what bounds how many threads can be inside the
 * database at once, and a virtual thread waiting for a connection costs almost nothing.
 */
public final class Database implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Database.class.getName());

    private final HikariDataSource pool;
    private final boolean h2;

    public Database(Config config) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(config.jdbcUrl());
        hc.setUsername(config.dbUser());
        hc.setPassword(config.dbPassword());
        hc.setMaximumPoolSize(config.dbPoolSize());
        hc.setMinimumIdle(Math.min(2, config.dbPoolSize()));
        hc.setPoolName("loomchat-db");
        hc.setConnectionTimeout(Duration.ofSeconds(5).toMillis());
        this.pool = new HikariDataSource(hc);
        this.h2 = config.jdbcUrl().regionMatches(true, 0, "jdbc:h2:", 0, "jdbc:h2:".length());
        if (h2) writeEachCommit();
        createSchema();
        if (h2) repairIndexes();
        LOG.log(System.Logger.Level.INFO, "database ready: {0}", redact(config.jdbcUrl()));
    }

    /** True for H2, whose own SQL the start uses ({@link IndexRepair}, {@link Recovery}). */
    boolean isH2() {
        return h2;
    }

    public DataSource dataSource() {
        return pool;
    }

    /**
     * Borrows a connection from the pool, for the server's own threads (the committer, recovery,
     * housekeeping); closing it gives it back. Code that a connection's thread can reach uses
     * {@link #call} instead.
     */
    public Connection connection() throws SQLException {
        return pool.getConnection();
    }

    /** Database work that gives an answer. */
    @FunctionalInterface
    public interface Work<T> {
        T apply(Connection c) throws SQLException;
    }

    /** Database work that gives none. */
    @FunctionalInterface
    public interface Action {
        void apply(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} with a pooled connection and returns its answer. Called from a virtual
     * thread, it runs on a short-lived virtual thread of its own while the caller waits.
     *
     * <p>Why: H2 records its session in a thread-local of the thread that runs a statement, and
     * HikariCP keeps a list per borrowing thread. The callers here are mostly connections'
     * threads, which live as long as their connections, and a thread-local map each is at least
     * 136 bytes a connection for as long as it stays (an eighth of a gigabyte at a million). A
     * thread start costs microseconds beside a statement, and logins, groups and media, the
     * paths that come here, are not the message path.
     */
    public <T> T call(Work<T> work) throws SQLException {
        if (!Thread.currentThread().isVirtual()) return withConnection(work);
        FutureTask<T> task = new FutureTask<>(() -> withConnection(work));
        Thread.ofVirtual().name("db").start(task);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the statement runs to its end either way; wait for it
                } catch (ExecutionException e) {
                    switch (e.getCause()) {
                        case SQLException failed -> throw failed;
                        case RuntimeException failed -> throw failed;
                        case Error failed -> throw failed;
                        default -> throw new IllegalStateException(e.getCause());
                    }
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** {@link #call} for work without an answer. */
    public void run(Action action) throws SQLException {
        call(c -> {
            action.apply(c);
            return null;
        });
    }

    private <T> T withConnection(Work<T> work) throws SQLException {
        try (Connection c = pool.getConnection()) {
            return work.apply(c);
        }
    }

    /**
     * An {@code ok} promises that the message survives {@code kill -9}, so H2 must write a commit
     * to its file before commit() returns. Its own default is up to 500 ms later; the default URL
     * says {@code WRITE_DELAY=0}, and a URL given with {@code --db-url} may not, so it is set here
     * for every H2 database (a persistent setting; it needs an admin user).
     */
    private void writeEachCommit() {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("SET WRITE_DELAY 0");
        } catch (SQLException e) {
            pool.close();
            throw new IllegalStateException("cannot set H2's WRITE_DELAY to 0, without which an ok may not survive "
                    + "kill -9 (the database user must be an admin): " + e.getMessage(), e);
        }
    }

    /** Builds again any index a crash left out of step with its table ({@link IndexRepair}), before anything reads them. */
    private void repairIndexes() {
        try (Connection c = pool.getConnection()) {
            IndexRepair.run(c);
        } catch (SQLException e) {
            pool.close();
            throw new IllegalStateException("cannot check the database's indexes: " + e.getMessage(), e);
        }
    }

    private void createSchema() {
        String sql;
        try (InputStream in = Database.class.getResourceAsStream("/loomchat/db/schema.sql")) {
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("schema.sql is missing from the jar", e);
        }
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            for (String statement : statements(sql)) s.execute(statement);
        } catch (SQLException e) {
            pool.close();
            throw new IllegalStateException("cannot create the schema: " + e.getMessage(), e);
        }
    }

    /** Splits the schema into statements, dropping {@code --} comments. */
    private static java.util.List<String> statements(String sql) {
        StringBuilder b = new StringBuilder();
        for (String line : sql.split("\n")) {
            int comment = line.indexOf("--");
            b.append(comment < 0 ? line : line.substring(0, comment)).append('\n');
        }
        return java.util.Arrays.stream(b.toString().split(";")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^;&]*", "$1***");
    }

    @Override
    public void close() {
        pool.close();
    }
}
