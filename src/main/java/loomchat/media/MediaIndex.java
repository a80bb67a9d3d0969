package loomchat.media;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import loomchat.db.Database;

/** The SQL for the {@code media} table: one row per upload, written before its file appears. */
final class MediaIndex {
    private final Database db;

    MediaIndex(Database db) {
        this.db = db;
    }

    void insert(MediaLibrary.Entry e) throws SQLException {
        db.run(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO media(id, owner, mime, size, sha256, created) VALUES (?,?,?,?,?,?)")) {
                s.setString(1, e.id());
                s.setString(2, e.owner());
                s.setString(3, e.mime());
                s.setLong(4, e.size());
                s.setString(5, e.sha256());
                s.setLong(6, e.created());
                s.executeUpdate();
            }
        });
    }

    /** The row of {@code id}, expired or not, or null. */
    MediaLibrary.Entry find(String id) throws SQLException {
        return db.call(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT owner, mime, size, sha256, created FROM media WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                    return r.next()
                            ? new MediaLibrary.Entry(id, r.getString(1), r.getString(2), r.getLong(3), r.getString(4), r.getLong(5))
                            : null;
                }
            }
        });
    }

    /** The bytes {@code owner} has uploaded since {@code since} (what counts against a quota). */
    long bytesOwnedSince(String owner, long since) throws SQLException {
        return db.call(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT COALESCE(SUM(size), 0) FROM media WHERE owner = ? AND created >= ?")) {
                s.setString(1, owner);
                s.setLong(2, since);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return r.getLong(1);
                }
            }
        });
    }

    /** Up to {@code limit} ids created before {@code cutoff}, oldest first. */
    List<String> createdBefore(long cutoff, int limit) throws SQLException {
        return db.call(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT id FROM media WHERE created < ? ORDER BY created")) {
                s.setMaxRows(limit); // plain JDBC rather than LIMIT/FETCH FIRST, which databases spell differently
                s.setLong(1, cutoff);
                List<String> ids = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) ids.add(r.getString(1));
                }
                return ids;
            }
        });
    }

    void delete(String id) throws SQLException {
        db.run(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM media WHERE id = ?")) {
                s.setString(1, id);
                s.executeUpdate();
            }
        });
    }
}
