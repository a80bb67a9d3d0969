package loomchat.db;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import loomchat.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every H2 database writes each commit before it returns, whatever its URL says. */
class WriteDelayTest {
    @TempDir
    Path dir;

    @Test
    void anH2UrlWithoutWriteDelayStillGetsZero() throws Exception {
        // given a URL of the operator's own that leaves H2's 500 ms default in place
        String url = "jdbc:h2:file:" + dir.resolve("db");

        // when the server's database opens it
        try (Database db = new Database(ConfigLoader.of(Map.of("db_url", url, "data_dir", dir.toString())));
             Connection c = db.connection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery(
                     "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'")) {

            // then commits are not delayed
            r.next();
            assertEquals("0", r.getString(1));
        }
    }
}
