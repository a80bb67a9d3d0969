package loomchat.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** Deletes rows that have outlived their use: expired login tokens and old send ids. Run now and then. */
public final class Housekeeping {
    private static final System.Logger LOG = System.getLogger(Housekeeping.class.getName());

    private final Database db;
    private final long sendKeyTtlMillis;

    public Housekeeping(Database db, long sendKeyTtlMillis) {
        this.db = db;
        this.sendKeyTtlMillis = sendKeyTtlMillis;
    }

    /** One sweep; failures are logged and left for the next one. */
    public void run() {
        long now = System.currentTimeMillis();
        try {
            int tokens = delete("DELETE FROM tokens WHERE expires < ?", now);
            int keys = delete("DELETE FROM send_keys WHERE ts < ?", now - sendKeyTtlMillis);
            if (tokens + keys > 0) {
                LOG.log(System.Logger.Level.INFO, "housekeeping: deleted {0} expired tokens and {1} old send ids",
                        String.valueOf(tokens), String.valueOf(keys));
            }
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.WARNING, "housekeeping failed: {0}", e.toString());
        }
    }

    private int delete(String sql, long before) throws SQLException {
        try (Connection c = db.connection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, before);
            return s.executeUpdate();
        }
    }
}
