package loomchat.media;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Deletes expired media now and then, on a virtual thread of its own.
 *
 * <p>Sweeping does database and file work, so it does not borrow the server's timer thread,
 * whose login deadlines must fire on time. Closing lets a sweep in progress finish instead of
 * interrupting it: an interrupt in the middle of a database call can break the connection.
 */
public final class MediaSweeper implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MediaSweeper.class.getName());
    private static final Duration MAX_INTERVAL = Duration.ofMinutes(1);
    private static final Duration MIN_INTERVAL = Duration.ofMillis(10);

    private final ScheduledExecutorService executor =
            Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("media-sweeper").factory());

    private MediaSweeper(MediaLibrary library, Duration every) {
        executor.scheduleWithFixedDelay(() -> sweep(library), every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Starts sweeping every half TTL, at most a minute apart: expired media read as absent at
     * once anyway, so the interval only bounds how long their bytes stay on disk.
     */
    public static MediaSweeper start(MediaLibrary library) {
        Duration half = library.ttl().dividedBy(2);
        Duration every = half.compareTo(MAX_INTERVAL) > 0 ? MAX_INTERVAL : half.compareTo(MIN_INTERVAL) < 0 ? MIN_INTERVAL : half;
        return new MediaSweeper(library, every);
    }

    private static void sweep(MediaLibrary library) {
        try {
            int swept = library.sweep();
            if (swept > 0) LOG.log(System.Logger.Level.DEBUG, "swept {0} expired media", String.valueOf(swept));
        } catch (Exception e) {
            // A thrown exception would cancel the schedule; log and try again next time.
            LOG.log(System.Logger.Level.WARNING, "media sweep failed: {0}", e.toString());
        }
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "media sweep still running at shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
