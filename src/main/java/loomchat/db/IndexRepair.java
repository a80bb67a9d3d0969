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
 * whose count differs is dropped and built again from the rows.
 *
 * <p>The cost is one walk of each index at each start, a small part of reading the inbox back.
 * Only indexes whose first column is {@code NOT NULL} can be counted so (null keys are not
 * counted), which is all of {@code schema.sql}'s. The SQL is H2's own ({@code USE INDEX},
 * its information schema): it runs only on H2.
 */
final class IndexRepair {
    private static final System.Logger LOG = System.getLogger(IndexRepair.class.getName());

    private IndexRepair() {
    }

    /** One index of the schema, as the information schema names it. */
    private record Index(String table, String name, String type, List<String> columns) {
        String columnList() {
            return String.join(", ", columns.stream().map(IndexRepair::quoted).toList());
        }
    }

    /**
     * Checks every index of the {@code PUBLIC} schema, builds again those out of step with their
     * tables, and returns their names (empty when all is well).
     *
     * @throws SQLException if an index cannot be built again (a unique key whose rows now hold
     *     a duplicate): nothing has been dropped then, and the start should stop
     */
    static List<String> run(Connection c) throws SQLException {
        List<String> rebuilt = new ArrayList<>();
        for (Index index : countableIndexes(c)) {
            long rows = count(c, "SELECT COUNT(*) FROM " + quoted(index.table()));
            long entries = count(c, "SELECT COUNT(*) FROM " + quoted(index.table()) + " USE INDEX (" + quoted(index.name())
                    + ") WHERE " + quoted(index.columns().getFirst()) + " IS NOT NULL");
            if (rows == entries) continue;
            LOG.log(System.Logger.Level.WARNING, "index {0} of table {1} has {2} entries for {3} rows, as a crash "
                    + "left it: building it again", index.name(), index.table(), String.valueOf(entries), String.valueOf(rows));
            rebuild(c, index);
            rebuilt.add(index.name());
        }
        return rebuilt;
    }

    private static List<Index> countableIndexes(Connection c) throws SQLException {
        List<Index> found = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT TABLE_NAME, INDEX_NAME, INDEX_TYPE_NAME FROM INFORMATION_SCHEMA.INDEXES "
                     + "WHERE TABLE_SCHEMA = 'PUBLIC' ORDER BY TABLE_NAME, INDEX_NAME")) {
            while (r.next()) found.add(new Index(r.getString(1), r.getString(2), r.getString(3), new ArrayList<>()));
        }
        List<Index> countable = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT k.COLUMN_NAME, col.IS_NULLABLE "
                + "FROM INFORMATION_SCHEMA.INDEX_COLUMNS k JOIN INFORMATION_SCHEMA.COLUMNS col "
                + "ON col.TABLE_SCHEMA = k.TABLE_SCHEMA AND col.TABLE_NAME = k.TABLE_NAME AND col.COLUMN_NAME = k.COLUMN_NAME "
                + "WHERE k.TABLE_SCHEMA = 'PUBLIC' AND k.TABLE_NAME = ? AND k.INDEX_NAME = ? ORDER BY k.ORDINAL_POSITION")) {
            for (Index index : found) {
                s.setString(1, index.table());
                s.setString(2, index.name());
                boolean firstNotNull = false;
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        if (index.columns().isEmpty()) firstNotNull = "NO".equals(r.getString(2));
                        index.columns().add(r.getString(1));
                    }
                }
                if (firstNotNull) countable.add(index);
            }
        }
        return countable;
    }

    /**
     * Drops the index and makes it again from the table's rows. A unique one is first made beside
     * itself under another name, which fails if the rows now hold a duplicate key: then nothing has
     * been dropped. (A duplicate cannot be looked for with a query: H2 answers a grouping on the
     * key's columns through the broken key itself, whatever the query asks.)
     */
    private static void rebuild(Connection c, Index index) throws SQLException {
        String table = quoted(index.table());
        boolean unique = !index.type().equals("INDEX");
        String check = quoted(index.name() + "_CHECK");
        try (Statement s = c.createStatement()) {
            if (unique) {
                try {
                    s.execute("CREATE UNIQUE INDEX " + check + " ON " + table + " (" + index.columnList() + ")");
                } catch (SQLException e) {
                    throw new SQLException("index " + index.name() + " of table " + index.table() + " is out of step "
                            + "with its rows, and cannot be built again (" + e.getMessage() + "): repair the database "
                            + "by hand, with H2's Recover tool", e);
                }
            }
            switch (index.type()) {
                case "PRIMARY KEY" -> {
                    s.execute("ALTER TABLE " + table + " DROP PRIMARY KEY");
                    s.execute("ALTER TABLE " + table + " ADD PRIMARY KEY (" + index.columnList() + ")");
                }
                case "INDEX", "UNIQUE INDEX" -> {
                    s.execute("DROP INDEX " + quoted(index.name()));
                    s.execute("CREATE " + (unique ? "UNIQUE " : "") + "INDEX " + quoted(index.name()) + " ON " + table
                            + " (" + index.columnList() + ")");
                }
                default -> throw new SQLException("index " + index.name() + " of table " + index.table()
                        + " is out of step with its rows, and of a kind this server does not build (" + index.type() + ")");
            }
            if (unique) s.execute("DROP INDEX " + check);
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
