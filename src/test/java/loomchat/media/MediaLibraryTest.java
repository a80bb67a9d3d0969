package loomchat.media;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import loomchat.config.ConfigLoader;
import loomchat.db.Database;
import loomchat.metrics.Metrics;
import loomchat.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The media library on a real H2 database and a real disk: what uploads in flight may take of it. */
class MediaLibraryTest {
    @TempDir
    Path dir;

    @Test
    void uploadsAtOnceAreHeldToTheDiskFloorTogether() throws Exception {
        // given a floor a mebibyte and a half below the disk's free space now
        long usable = Files.getFileStore(dir).getUsableSpace();
        try (Database db = new Database(ConfigLoader.of(Map.of("data_dir", dir.toString())))) {
            MediaLibrary media = new MediaLibrary(db, dir.resolve("media"), Duration.ofDays(1), 16 << 20,
                    1L << 30, usable - (3L << 19), new Metrics());
            // and alice's upload of an announced mebibyte under way, 600 bytes in
            CountDownLatch rest = new CountDownLatch(1);
            InputStream slow = new SequenceInputStream(new ByteArrayInputStream(new byte[600]), new InputStream() {
                @Override
                public int read() throws java.io.IOException {
                    try {
                        rest.await(); // the rest never comes: the upload ends here
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                    return -1;
                }
            });
            CompletableFuture<MediaLibrary.Entry> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return media.store("alice", "video/mp4", slow, 1 << 20);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Await.until(() -> partials(dir.resolve("media")) == 1, "alice's upload to start");

            // when bob announces a mebibyte alongside
            // then his is refused: the disk has room for one mebibyte's reservation, not two
            assertThrows(MediaLibrary.DiskFullException.class, () -> media.store("bob", "video/mp4",
                    new ByteArrayInputStream(new byte[1 << 20]), 1 << 20));
            rest.countDown();
            assertEquals(600, first.get().size());
        }
    }

    private static long partials(Path media) {
        try (var files = Files.list(media)) {
            return files.filter(f -> f.toString().endsWith(".part")).count();
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
