package loomchat.media;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import loomchat.db.Database;
import loomchat.metrics.Metrics;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.ProtocolException;

/**
 * Uploaded media: files under {@code <data-dir>/media}, named by their id, and a row each in
 * the {@code media} table.
 *
 * <p>An upload streams through one small buffer into a temporary file while its SHA-256 is
 * computed, and stops the moment it passes the size limit; the whole body is never in memory.
 * Then its row is inserted and the file is moved into place atomically, in that order, so that
 * a crash can leave a row without a file (harmless: it reads as absent and expires) but never a
 * file that nothing would ever delete.
 *
 * <p>An id is 16 random bytes, base64url: unguessable, so an id works as a capability. Any
 * logged-in user who has it may download the media, as with WhatsApp's media links; that is
 * what lets a message forward media to a whole group without an access list per upload.
 * Media older than {@code media_ttl} reads as absent at once, and {@link #sweep()} deletes it.
 */
public final class MediaLibrary implements MediaCatalog {
    private static final System.Logger LOG = System.getLogger(MediaLibrary.class.getName());
    /** Copy buffer of an upload: what one upload costs in heap, whatever its size. */
    static final int BUFFER_BYTES = 16 * 1024;
    private static final int ID_BYTES = 16;
    private static final Pattern ID = Pattern.compile("^[A-Za-z0-9_-]{22}$");
    private static final String TEMP_SUFFIX = ".part";
    private static final int SWEEP_BATCH = 500;
    /** Most disk a chunked upload reserves ahead of what it has written (the disk is read at each reservation). */
    private static final long DISK_CHUNK_BYTES = 1 << 20;

    /** One stored upload, as its row describes it. */
    public record Entry(String id, String owner, String mime, long size, String sha256, long created) {
    }

    /** The upload was longer than {@code max_media_bytes}; nothing of it was kept. */
    public static final class TooLargeException extends Exception {
        public TooLargeException(long limit) {
            super("media are at most " + limit + " bytes", null, false, false);
        }
    }

    /** The upload would take its owner past {@code media_quota}; nothing of it was kept. */
    public static final class OverQuotaException extends Exception {
        private final long used;

        OverQuotaException(long quota, long used) {
            super("at most " + quota + " bytes of media per user within media_ttl; " + used + " used",
                    null, false, false);
            this.used = used;
        }

        /** Bytes the owner had stored (within {@code media_ttl}) when the upload began. */
        public long used() {
            return used;
        }
    }

    /** The disk holding the media has less than {@code media_min_free_bytes} left; nothing was kept. */
    public static final class DiskFullException extends Exception {
        private final long usable;

        DiskFullException(long usable, long floor) {
            super(belowFloor(usable, floor), null, false, false);
            this.usable = usable;
        }

        public long usable() {
            return usable;
        }
    }

    private final MediaIndex index;
    private final Path dir;
    private final long ttlMillis;
    private final long maxBytes;
    private final long quotaBytes;
    private final long minFreeBytes;
    private final Metrics metrics;
    private final SecureRandom random = new SecureRandom();
    /** Bytes of uploads still streaming, per owner (at most one entry per open upload). */
    private final ConcurrentHashMap<String, Long> streaming = new ConcurrentHashMap<>();
    /**
     * Disk promised to uploads in flight and not yet written, all owners together. The usable
     * space read from the disk includes what they have written, not what they will write: each
     * reservation is checked against both, so that a thousand uploads at once cannot all pass a
     * check that each would pass alone.
     */
    private final AtomicLong reservedDisk = new AtomicLong();

    /**
     * @param quotaBytes what one user may have stored at once (uploads younger than {@code ttl})
     * @param minFreeBytes usable space the disk must keep: the database shares it, and a full
     *                     disk would fail every send
     */
    public MediaLibrary(Database db, Path dir, Duration ttl, long maxBytes, long quotaBytes, long minFreeBytes,
                        Metrics metrics) throws IOException {
        this.index = new MediaIndex(db);
        this.dir = Files.createDirectories(dir);
        this.ttlMillis = ttl.toMillis();
        this.maxBytes = maxBytes;
        this.quotaBytes = quotaBytes;
        this.minFreeBytes = minFreeBytes;
        this.metrics = metrics;
        long usable = Files.getFileStore(this.dir).getUsableSpace();
        if (usable < minFreeBytes) {
            LOG.log(System.Logger.Level.WARNING, "{0}: every upload will get 507 until there is room",
                    belowFloor(usable, minFreeBytes));
        }
        removeLeftoverUploads();
    }

    public long maxBytes() {
        return maxBytes;
    }

    public long minFreeBytes() {
        return minFreeBytes;
    }

    public long quotaBytes() {
        return quotaBytes;
    }

    public Duration ttl() {
        return Duration.ofMillis(ttlMillis);
    }

    /**
     * Stores an upload read from {@code body}.
     *
     * @param declaredLength the length the client announced, or -1 if it did not (chunked)
     * @throws TooLargeException if the announced or the actual length passes the limit; the
     *     rest of the body is left unread
     * @throws OverQuotaException if it would take the owner past the quota; likewise
     * @throws DiskFullException if the disk is already below its floor, or the announced length
     *     would take it there
     */
    public Entry store(String owner, String mime, InputStream body, long declaredLength)
            throws IOException, SQLException, TooLargeException, OverQuotaException, DiskFullException {
        if (declaredLength > maxBytes) throw new TooLargeException(maxBytes);
        long announced = Math.max(0, declaredLength);
        // The owner's uploads still streaming count too: at their announced length from the
        // start (or what they have sent, if more), so that many at once are held to the quota
        // together, and so that one owner cannot hold more of the disk than the quota by
        // announcing lengths and sending nothing; it is checked again at the end, against what
        // has finished since. (Between a finished upload's row and its leaving the count, it
        // counts twice: on the safe side.)
        long since = System.currentTimeMillis() - ttlMillis;
        long stored = index.bytesOwnedSince(owner, since);
        long counted = 0; // this upload's bytes in the streaming counts
        long held = 0; // disk reserved for this upload and not yet written
        Path temp = null;
        boolean moved = false;
        try {
            if (announced > 0) {
                counted = announced;
                requireQuota(stored + streaming.merge(owner, counted, Long::sum) - counted, counted);
            }
            // An announced length is reserved whole; a chunked upload reserves as it goes, never
            // more ahead than it has written (up to a mebibyte), so that one sending nothing holds nothing.
            held = reserveDisk(announced);
            temp = Files.createTempFile(dir, "upload-", TEMP_SUFFIX);
            MessageDigest sha = sha256();
            long size = 0;
            byte[] buffer = new byte[BUFFER_BYTES];
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                for (int n; (n = body.read(buffer)) >= 0; ) {
                    size += n;
                    if (size > maxBytes) throw new TooLargeException(maxBytes);
                    if (size > counted) { // past what it announced (or it announced nothing): claim the rest
                        long mine = streaming.merge(owner, size - counted, Long::sum); // this upload's and others'
                        counted = size;
                        requireQuota(stored + mine - counted, counted);
                    }
                    if (n > held) held += reserveDisk(Math.max(n - held, Math.min(DISK_CHUNK_BYTES, size)));
                    sha.update(buffer, 0, n);
                    ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                    while (chunk.hasRemaining()) out.write(chunk);
                    held -= n;
                    reservedDisk.addAndGet(-n); // written now: the next reading of the disk includes it
                }
                out.force(false); // a 201 promises the bytes are on disk, as an `ok` does for a message
            }
            // Uploads that finished while this one streamed are rows now. The map is read before
            // the table, so that one finishing in between is seen in one or the other.
            long othersNow = streaming.getOrDefault(owner, 0L) - counted;
            requireQuota(index.bytesOwnedSince(owner, since) + othersNow, size);
            Entry entry = new Entry(newId(), owner, mime, size, HexFormat.of().formatHex(sha.digest()),
                    System.currentTimeMillis());
            index.insert(entry);
            try {
                Files.move(temp, file(entry.id()), StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                index.delete(entry.id());
                throw e;
            }
            moved = true;
            metrics.mediaBytesStored.add(size);
            return entry;
        } finally {
            reservedDisk.addAndGet(-held);
            if (counted > 0) {
                long mine = counted;
                streaming.compute(owner, (k, v) -> v == null || v <= mine ? null : v - mine);
            }
            if (!moved && temp != null) Files.deleteIfExists(temp); // last: it may throw
        }
    }

    /**
     * Reserves {@code bytes} of disk for an upload, or refuses with {@link DiskFullException} if
     * the disk's usable space, less what other uploads have reserved and not yet written, would
     * fall below {@code media_min_free_bytes}.
     *
     * @return {@code bytes}
     */
    private long reserveDisk(long bytes) throws IOException, DiskFullException {
        long usable = Files.getFileStore(dir).getUsableSpace();
        long promised = reservedDisk.addAndGet(bytes);
        if (usable - promised < minFreeBytes) {
            reservedDisk.addAndGet(-bytes);
            throw new DiskFullException(usable - (promised - bytes), minFreeBytes); // what is left to promise
        }
        return bytes;
    }

    /** Refuses {@code adding} more bytes for an owner who has {@code used} (stored and streaming). */
    private void requireQuota(long used, long adding) throws OverQuotaException {
        if (used + adding > quotaBytes) throw new OverQuotaException(quotaBytes, used);
    }

    private static String belowFloor(long usable, long floor) {
        return "the media disk has " + usable + " bytes usable, below media_min_free_bytes (" + floor + ")";
    }

    /** The entry of {@code id} if it exists and has not expired, else null. */
    public Entry find(String id) throws SQLException {
        if (id == null || !ID.matcher(id).matches()) return null; // also keeps ids from naming other paths
        Entry e = index.find(id);
        return e == null || expired(e, System.currentTimeMillis()) ? null : e;
    }

    /** Opens the bytes of an entry, or returns null if its file is gone (a crash, or the sweeper just now). */
    public InputStream open(Entry e) throws IOException {
        try {
            return Files.newInputStream(file(e.id()));
        } catch (NoSuchFileException gone) {
            return null;
        }
    }

    @Override
    public void require(String requestId, String mediaId) throws ProtocolException {
        try {
            if (find(mediaId) == null) throw noSuchMedia(requestId, mediaId);
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.WARNING, "media lookup failed: {0}", e.toString());
            throw new ProtocolException(ErrorCode.INTERNAL, requestId, "the media could not be checked; try again");
        }
    }

    /**
     * Deletes every expired upload, file first and then row (a crash in between leaves a row
     * without a file, which the next sweep removes); returns how many went.
     */
    public int sweep() throws SQLException, IOException {
        long cutoff = System.currentTimeMillis() - ttlMillis;
        int swept = 0;
        while (true) {
            List<String> ids = index.createdBefore(cutoff, SWEEP_BATCH);
            for (String id : ids) {
                Files.deleteIfExists(file(id));
                index.delete(id);
            }
            swept += ids.size();
            if (ids.size() < SWEEP_BATCH) return swept;
        }
    }

    static ProtocolException noSuchMedia(String requestId, String mediaId) {
        return new ProtocolException(ErrorCode.NO_SUCH_MEDIA, requestId,
                "no such media: " + mediaId + " (unknown or expired; upload it again)");
    }

    private boolean expired(Entry e, long now) {
        return e.created() + ttlMillis <= now;
    }

    Path file(String id) {
        return dir.resolve(id);
    }

    private String newId() {
        byte[] b = new byte[ID_BYTES];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Uploads cut short by a crash; at start nothing is uploading, so every temporary file is one. */
    private void removeLeftoverUploads() throws IOException {
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(dir, "*" + TEMP_SUFFIX)) {
            for (Path p : parts) Files.deleteIfExists(p);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
