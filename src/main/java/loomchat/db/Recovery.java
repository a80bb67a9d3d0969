package loomchat.db;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import loomchat.protocol.FrameCodec;
import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;
import loomchat.store.ChatStore;
import loomchat.store.SentMessage;

/** Loads the store back from the database at start: users, undelivered items and recent send ids. */
public final class Recovery {
    private static final System.Logger LOG = System.getLogger(Recovery.class.getName());

    private Recovery() {
    }

    /** What was loaded, for the start-up log line. */
    public record Loaded(int users, int items, int sendKeys) {
    }

    /**
     * Stored items are read back within the bounds of what the database holds, not of
     * {@code max_frame_bytes}: a message that filled a send frame is longer than that once stored
     * (with its msg, sender, seq and ts), and must not be skipped at the restart. Up to three bytes
     * a character in UTF-8 (a pair of chars takes four).
     */
    private static final FrameCodec STORED = new FrameCodec(3 * FrameCodec.MAX_ITEM_CHARS);

    public static Loaded load(Database db, ChatStore store, long sendKeyTtlMillis, long now) throws SQLException {
        int users = 0;
        int items = 0;
        int keys = 0;
        try (Connection c = db.connection()) {
            // An item's row and the reservation of its seq are written in order but may fall in
            // two transactions, and a crash between them leaves a row above the reservation. The
            // row makes its seq count at this start, but once it is acked and deleted, nothing
            // would remember it at the next: raise the reservation to it now, before any seq is
            // given out, so that no seq is ever given out twice.
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE users SET seq_reserved = (SELECT MAX(seq) FROM inbox WHERE inbox.user_name = users.name) "
                            + "WHERE seq_reserved < (SELECT MAX(seq) FROM inbox WHERE inbox.user_name = users.name)")) {
                int raised = s.executeUpdate();
                if (!c.getAutoCommit()) c.commit();
                if (raised > 0) {
                    LOG.log(System.Logger.Level.INFO, "raised the seq reservation of {0} users to their stored items",
                            String.valueOf(raised));
                }
            }
            try (PreparedStatement s = c.prepareStatement("SELECT name, seq_reserved, last_seen FROM users");
                 ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    store.addUser(r.getString(1), r.getLong(2), r.getLong(3));
                    users++;
                }
            }
            // The count at start (IndexRepair) misses a key that lost one row's entry and kept an
            // entry of another's; its first read in key order finds it. H2 then fails the read
            // before it hands over a row, unless told to execute queries lazily (a --db-url may),
            // which would leave part of the inbox restored: this start then stops instead, saying why.
            if (db.isH2()) {
                try (java.sql.Statement s = c.createStatement()) {
                    s.execute("SET LAZY_QUERY_EXECUTION FALSE");
                }
            }
            int[] restored = {0};
            try {
                restoreInbox(c, store, restored);
            } catch (SQLException e) {
                if (!IndexRepair.isEntryWithoutRow(e) || restored[0] > 0) throw e;
                LOG.log(System.Logger.Level.WARNING, "the inbox's key has an entry without its row: building it again");
                IndexRepair.rebuildAll(c, "inbox");
                restoreInbox(c, store, restored);
            }
            items = restored[0];
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT user_name, request_id, msg, ts FROM send_keys WHERE ts >= ? ORDER BY ts")) {
                s.setLong(1, now - sendKeyTtlMillis);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        SentMessage sent = new SentMessage(r.getString(3), r.getLong(4),
                                CompletableFuture.completedFuture(null));
                        store.claimSend(r.getString(1), r.getString(2), sent, msg -> true);
                        keys++;
                    }
                }
            }
        }
        return new Loaded(users, items, keys);
    }

    /** Reads every stored item back into the store, in key order, counting them in {@code restored[0]} as it goes. */
    private static void restoreInbox(Connection c, ChatStore store, int[] restored) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT user_name, seq, frame FROM inbox ORDER BY user_name, seq");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                byte[] line = r.getString(3).getBytes(StandardCharsets.UTF_8);
                try {
                    if (STORED.decodeServer(line, 0, line.length) instanceof ServerFrame.InboxItem item) {
                        store.restoreItem(r.getString(1), item);
                        restored[0]++;
                    }
                } catch (ProtocolException e) {
                    LOG.log(System.Logger.Level.WARNING, "skipping unreadable inbox row {0}/{1}: {2}",
                            r.getString(1), r.getLong(2), e.getMessage());
                }
            }
        }
    }
}
