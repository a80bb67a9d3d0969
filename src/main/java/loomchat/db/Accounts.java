package loomchat.db;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The SQL for accounts and login tokens: blocking calls from a connection's virtual thread, each run by {@link Database#call} on a short-lived thread of its own. */
public final class Accounts {
    /** A stored password: salt, PBKDF2 hash and the iteration count it was made with. */
    public record Credentials(byte[] salt, byte[] hash, int iterations) {
    }

    /** Who a token belongs to and until when it is good. */
    public record TokenOwner(String user, long expires) {
    }

    private final Database db;

    public Accounts(Database db) {
        this.db = db;
    }

    /** Inserts a new user; false if the name is taken. */
    public boolean insertUser(String name, byte[] salt, byte[] hash, int iterations, long now) throws SQLException {
        return db.call(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO users(name, salt, password_hash, iterations, created) VALUES (?,?,?,?,?)")) {
                s.setString(1, name);
                s.setBytes(2, salt);
                s.setBytes(3, hash);
                s.setInt(4, iterations);
                s.setLong(5, now);
                s.executeUpdate();
                return true;
            } catch (SQLException e) {
                if (isDuplicateKey(e)) return false;
                throw e;
            }
        });
    }

    public Credentials credentials(String name) throws SQLException {
        return db.call(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT salt, password_hash, iterations FROM users WHERE name = ?")) {
                s.setString(1, name);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? new Credentials(r.getBytes(1), r.getBytes(2), r.getInt(3)) : null;
                }
            }
        });
    }

    /**
     * Stores a new token and deletes the user's others beyond the newest {@code keep - 1}, so that
     * logging in again and again cannot grow the table without bound. The new token itself is
     * never among them, whatever its expiry (a shorter {@code token_ttl} since the others were
     * issued, or a clock stepped back).
     *
     * @return the hashes of the tokens deleted, so that they can be forgotten where cached
     */
    public List<byte[]> insertToken(byte[] tokenHash, String user, long expires, int keep) throws SQLException {
        return db.call(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO tokens(token_hash, user_name, expires) VALUES (?,?,?)")) {
                s.setBytes(1, tokenHash);
                s.setString(2, user);
                s.setLong(3, expires);
                s.executeUpdate();
            }
            // Skipped here rather than with OFFSET, which databases spell differently; a user has
            // at most keep others at this point, so there is little to skip.
            List<byte[]> older = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT token_hash FROM tokens WHERE user_name = ? AND token_hash <> ? ORDER BY expires DESC")) {
                s.setString(1, user);
                s.setBytes(2, tokenHash);
                try (ResultSet r = s.executeQuery()) {
                    for (int row = 0; r.next(); row++) {
                        if (row >= keep - 1) older.add(r.getBytes(1));
                    }
                }
            }
            if (!older.isEmpty()) {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM tokens WHERE token_hash = ?")) {
                    for (byte[] hash : older) {
                        s.setBytes(1, hash);
                        s.addBatch();
                    }
                    s.executeBatch();
                }
            }
            return older;
        });
    }

    public TokenOwner tokenOwner(byte[] tokenHash) throws SQLException {
        return db.call(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT user_name, expires FROM tokens WHERE token_hash = ?")) {
                s.setBytes(1, tokenHash);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? new TokenOwner(r.getString(1), r.getLong(2)) : null;
                }
            }
        });
    }

    public void deleteToken(byte[] tokenHash) throws SQLException {
        db.run(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM tokens WHERE token_hash = ?")) {
                s.setBytes(1, tokenHash);
                s.executeUpdate();
            }
        });
    }

    /** Reads a server-wide value, or stores {@code fresh} under the name if there is none yet. */
    public byte[] serverValue(String name, byte[] fresh) throws SQLException {
        return db.call(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT meta_value FROM server_meta WHERE meta_key = ?")) {
                s.setString(1, name);
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) return r.getBytes(1);
                }
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO server_meta(meta_key, meta_value) VALUES (?,?)")) {
                s.setString(1, name);
                s.setBytes(2, fresh);
                s.executeUpdate();
                return fresh;
            }
        });
    }

    /** SQLState class 23 is an integrity violation: for an insert, a taken primary key. */
    static boolean isDuplicateKey(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("23");
    }
}
