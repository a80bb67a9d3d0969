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
        createSchema();
        LOG.log(System.Logger.Level.INFO, "database ready: {0}", redact(config.jdbcUrl()));
    }

    public DataSource dataSource() {
        return pool;
    }

    public Connection connection() throws SQLException {
        return pool.getConnection();
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
