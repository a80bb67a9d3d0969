package loomchat.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the indexes that H2 left out of step with their tables at a crash, and builds them again.
 *
 * <p>Why: after a {@code kill -9} under load, H2 2.3 once left the inbox's key with an entry whose
 * row was gone (a clean-clone CI run of {@code CrashUnderLoadJarIT}, stop 20). Every read through
 * that key then fails ("Row not found in primary index", retried until H2's lock timeout), so the
 * restarted server could not load its inbox and stopped. The opposite, a row missing from its
 * key, is quieter and worse: a read in key order skips the row, and its message is never
 * delivered. A table keeps its rows in one map and each index in another, and at each start this
 * counts both: {@code COUNT(*)} reads the table's own count, and a count through the index with a
 * condition on its first column walks the index's entries alone, without fetching rows. An index
 * whose count differs is dropped and built again from the rows. (Two faults that cancel out in
 * the count are found by the first read through the key: {@link Recovery} reads the whole inbox
 * so, and asks for {@link #rebuildAll} when it meets {@link #isEntryWithoutRow}.)
 *
 * <p>A unique index is built again in four steps, each its own transaction (H2 commits every
 * change of schema at once): a unique index on the same columns beside it, named
 * {@code <index>_REBUILT}, which fails if the rows now hold a duplicate key, and then nothing has
 * been dropped; the drop of the old one; its making again; the drop of the {@code _REBUILT} one.
 * A crash between them leaves the {@code _REBUILT} index, which is what the next start looks for
 * first ({@link #finishInterrupted}): while it stands, the key's uniqueness is kept.
 *
 * <p>The cost is one walk of each index at each start: 163 ms for an inbox of a million rows,
 * a small part of reading it back. Only indexes whose first column is {@code NOT NULL} can be
 * counted so (null keys are not counted), which is all of {@code schema.sql}'s. The SQL is H2's
 * own ({@code USE INDEX}, its information schema), in the connection's current schema: it runs
 * only on H2.
 */
final class IndexRepair {
    private static final System.Logger LOG = System.getLogger(IndexRepair.class.getName());
    private static final String REBUILT = "_REBUILT";
    /** H2's "Row not found in primary index": an index entry whose row is gone. */
    private static final int ROW_NOT_FOUND_IN_PRIMARY_INDEX = 90143;

    private IndexRepair() {
    }

    /** One index, as the information schema names it. */
    private record Index(String schema, String table, String name, String type, List<String> columns,
                         boolean firstNotNull) {
        String qualifiedTable() {
            return quoted(schema) + "." + quoted(table);
        }

        String qualifiedName() {
            return quoted(schema) + "." + quoted(name);
        }

        String columnList() {
            return String.join(", ", columns.stream().map(IndexRepair::quoted).toList());
        }

        boolean unique() {
            return !type.equals("INDEX");
        }
    }

    /**
     * Finishes any rebuild a crash cut short, then checks every index of the current schema and
     * builds again those out of step with their tables; returns their names (empty when all is well).
     *
     * @throws SQLException if an index cannot be built again (a unique key whose rows now hold a
     *     duplicate): nothing has been dropped then, and the start should stop
     */
    static List<String> run(Connection c) throws SQLException {
        finishInterrupted(c);
        List<String> rebuilt = new ArrayList<>();
        for (Index index : indexes(c, null)) {
            if (!index.firstNotNull()) continue;
            long rows = count(c, "SELECT COUNT(*) FROM " + index.qualifiedTable());
            long entries = count(c, "SELECT COUNT(*) FROM " + index.qualifiedTable() + " USE INDEX (" + quoted(index.name())
                    + ") WHERE " + quoted(index.columns().getFirst()) + " IS NOT NULL");
            if (rows == entries) continue;
            LOG.log(System.Logger.Level.WARNING, "index {0} of table {1} has {2} entries for {3} rows, as a crash "
                    + "left it: building it again", index.name(), index.table(), String.valueOf(entries), String.valueOf(rows));
            rebuild(c, index);
            rebuilt.add(index.name());
        }
        return rebuilt;
    }

    /** Builds every index of {@code table} again, whatever their counts say. */
    static void rebuildAll(Connection c, String table) throws SQLException {
        for (Index index : indexes(c, table)) rebuild(c, index);
    }

    /** True if {@code e}, or what it wraps, is H2 meeting an index entry whose row is gone. */
    static boolean isEntryWithoutRow(Throwable e) {
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof SQLException s && s.getErrorCode() == ROW_NOT_FOUND_IN_PRIMARY_INDEX) return true;
        }
        return false;
    }

    /**
     * Ends the rebuilds a crash cut short: a {@code _REBUILT} index whose original is back is
     * dropped; one whose table lost its primary key gives the key back first.
     */
    private static void finishInterrupted(Connection c) throws SQLException {
        List<Index> all = indexes(c, null);
        for (Index leftover : all) {
            if (!leftover.name().endsWith(REBUILT)) continue;
            String original = leftover.name().substring(0, leftover.name().length() - REBUILT.length());
            boolean hasKey = all.stream().anyMatch(i -> i.table().equals(leftover.table()) && i.type().equals("PRIMARY KEY"));
            boolean hasOriginal = all.stream().anyMatch(i -> i.table().equals(leftover.table()) && i.name().equals(original));
            LOG.log(System.Logger.Level.WARNING, "finishing a rebuild of index {0} of table {1} that a crash cut short",
                    original, leftover.table());
            try (Statement s = c.createStatement()) {
                if (!hasKey && !hasOriginal) {
                    s.execute("ALTER TABLE " + leftover.qualifiedTable() + " ADD PRIMARY KEY (" + leftover.columnList() + ")");
                }
                s.execute("DROP INDEX " + leftover.qualifiedName());
            }
        }
        if (!c.getAutoCommit()) c.commit();
    }

    /** The indexes of the current schema, of one table if {@code table} is not null (any case). */
    private static List<Index> indexes(Connection c, String table) throws SQLException {
        List<Index> found = new ArrayList<>();
        // One row per indexed column, an index's columns together and in order.
        try (PreparedStatement s = c.prepareStatement("SELECT i.TABLE_SCHEMA, i.TABLE_NAME, i.INDEX_NAME, "
                + "i.INDEX_TYPE_NAME, k.COLUMN_NAME, col.IS_NULLABLE FROM INFORMATION_SCHEMA.INDEXES i "
                + "JOIN INFORMATION_SCHEMA.INDEX_COLUMNS k ON k.TABLE_SCHEMA = i.TABLE_SCHEMA "
                + "AND k.TABLE_NAME = i.TABLE_NAME AND k.INDEX_NAME = i.INDEX_NAME "
                + "JOIN INFORMATION_SCHEMA.COLUMNS col ON col.TABLE_SCHEMA = k.TABLE_SCHEMA "
                + "AND col.TABLE_NAME = k.TABLE_NAME AND col.COLUMN_NAME = k.COLUMN_NAME "
                + "WHERE i.TABLE_SCHEMA = CURRENT_SCHEMA AND (CAST(? AS VARCHAR) IS NULL OR UPPER(i.TABLE_NAME) = UPPER(?)) "
                + "ORDER BY i.TABLE_NAME, i.INDEX_NAME, k.ORDINAL_POSITION")) {
            s.setString(1, table);
            s.setString(2, table);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    Index last = found.isEmpty() ? null : found.getLast();
                    if (last != null && last.table().equals(r.getString(2)) && last.name().equals(r.getString(3))) {
                        last.columns().add(r.getString(5));
                    } else {
                        found.add(new Index(r.getString(1), r.getString(2), r.getString(3), r.getString(4),
                                new ArrayList<>(List.of(r.getString(5))), "NO".equals(r.getString(6))));
                    }
                }
            }
        }
        return found;
    }

    /** Drops the index and makes it again from the table's rows, in the steps the class comment gives. */
    private static void rebuild(Connection c, Index index) throws SQLException {
        String rebuilt = quoted(index.schema()) + "." + quoted(index.name() + REBUILT);
        try (Statement s = c.createStatement()) {
            if (index.unique()) {
                try {
                    s.execute("CREATE UNIQUE INDEX " + rebuilt + " ON " + index.qualifiedTable() + " (" + index.columnList() + ")");
                } catch (SQLException e) {
                    if (e.getSQLState() == null || !e.getSQLState().startsWith("23")) throw e;
                    throw new SQLException("index " + index.name() + " of table " + index.table() + " is out of step "
                            + "with its rows, which now hold a duplicate key, so it cannot be built again ("
                            + e.getMessage() + "): repair the database by hand, with H2's Recover tool", e);
                }
            }
            switch (index.type()) {
                case "PRIMARY KEY" -> {
                    s.execute("ALTER TABLE " + index.qualifiedTable() + " DROP PRIMARY KEY");
                    s.execute("ALTER TABLE " + index.qualifiedTable() + " ADD PRIMARY KEY (" + index.columnList() + ")");
                }
                // A crash between these two leaves the index missing; schema.sql makes it again.
                case "INDEX", "UNIQUE INDEX" -> {
                    s.execute("DROP INDEX " + index.qualifiedName());
                    s.execute("CREATE " + (index.unique() ? "UNIQUE " : "") + "INDEX " + index.qualifiedName() + " ON "
                            + index.qualifiedTable() + " (" + index.columnList() + ")");
                }
                default -> throw new SQLException("index " + index.name() + " of table " + index.table()
                        + " is out of step with its rows, and of a kind this server does not build (" + index.type() + ")");
            }
            if (index.unique()) s.execute("DROP INDEX " + rebuilt);
        }
        if (!c.getAutoCommit()) c.commit();
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    private static String quoted(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
