package loomchat.testing;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.function.Predicate;
import org.h2.engine.SessionLocal;
import org.h2.index.Cursor;
import org.h2.index.Index;
import org.h2.jdbc.JdbcConnection;
import org.h2.result.Row;
import org.h2.table.Table;

/**
 * Leaves a stopped server's H2 database as a crash once left it: a row in a table but missing
 * from the table's indexes, or the reverse. H2 keeps a table's rows in one map and each index in
 * another; this reaches into H2's own classes (not its SQL, which keeps the two in step) to
 * change one map without the other.
 */
public final class BrokenIndex {
    private BrokenIndex() {
    }

    /** Takes the inbox row of {@code user}'s item {@code seq} out of the table, leaving its key's entry behind. */
    public static void rowGoneKeyLeft(Path dataDir, String user, long seq) throws Exception {
        change(dataDir, user, seq, true);
    }

    /** Takes the inbox row of {@code user}'s item {@code seq} out of the table's key, leaving the row. */
    public static void keyGoneRowLeft(Path dataDir, String user, long seq) throws Exception {
        change(dataDir, user, seq, false);
    }

    private static void change(Path dataDir, String user, long seq, boolean fromRows) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dataDir.resolve("loomchat"), "sa", "")) {
            c.setAutoCommit(false);
            SessionLocal session = (SessionLocal) ((JdbcConnection) c).getSession();
            Table inbox = session.getDatabase().getSchema("PUBLIC").findTableOrView(session, "INBOX");
            Index rows = inbox.getScanIndex(session);
            Row row = find(session, rows, r -> r.getValue(0).getString().equals(user) && r.getValue(1).getLong() == seq);
            if (fromRows) {
                rows.remove(session, row);
            } else {
                for (Index index : inbox.getIndexes()) if (index != rows) index.remove(session, row);
            }
            c.commit();
        }
    }

    private static Row find(SessionLocal session, Index rows, Predicate<Row> wanted) {
        Cursor cursor = rows.find(session, null, null, false);
        while (cursor.next()) {
            Row row = cursor.get();
            if (wanted.test(row)) return row;
        }
        throw new AssertionError("no such inbox row");
    }
}
