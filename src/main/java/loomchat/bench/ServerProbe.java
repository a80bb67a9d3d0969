package loomchat.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a server process's CPU time and memory from {@code /proc}, and asks it for a full GC.
 * Only meaningful when the server runs on the same machine as the generator.
 */
final class ServerProbe {
    private static final Pattern COMMITTED = Pattern.compile("committed (\\d+)K");

    private final long pid;
    private final long ticksPerSecond;

    ServerProbe(long pid) {
        this.pid = pid;
        if (!Files.isReadable(Path.of("/proc", Long.toString(pid), "status"))) {
            throw new IllegalArgumentException("no process " + pid + " to read in /proc");
        }
        this.ticksPerSecond = clockTicks();
    }

    long pid() {
        return pid;
    }

    /** User plus system CPU time the process has used so far. */
    double cpuSeconds() {
        String stat = read("stat");
        // The command name may hold spaces; fields after its closing parenthesis are fixed.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long utime = Long.parseLong(f[11]);
        long stime = Long.parseLong(f[12]);
        return (utime + stime) / (double) ticksPerSecond;
    }

    /** Resident set size now, in KiB. */
    long rssKiB() {
        return statusKiB("VmRSS:");
    }

    /** The highest resident set size the process has had, in KiB. */
    long peakRssKiB() {
        return statusKiB("VmHWM:");
    }

    /**
     * Runs a full GC in the server ({@code jcmd <pid> GC.run}) so that RSS reflects live data,
     * then waits a moment for the collector to give freed heap back to the OS.
     *
     * @return false if jcmd is missing or failed (the RSS figures are then taken without a GC)
     */
    boolean gc() {
        try {
            if (jcmd(pid, "GC.run", Duration.ofSeconds(60)) == null) return false;
            Thread.sleep(1000);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs {@code jcmd <pid> <command>} from this JDK and returns what it printed, or null if jcmd
     * is missing, failed, or did not answer in time (attaching to a JVM can hang).
     */
    static List<String> jcmd(long pid, String command, Duration timeout) throws InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) return null;
        Path out = null;
        try {
            out = Files.createTempFile("loomchat-jcmd", ".txt"); // a file, not a pipe: a histogram is megabytes
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? Files.readAllLines(out) : null;
        } catch (IOException e) {
            return null;
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temp file left behind
                }
            }
        }
    }

    /**
     * Runs full GCs until RSS settles (a collector gives freed heap back a step per collection),
     * at most five; false if no GC could be run.
     */
    boolean gcUntilSettled() {
        long last = rssKiB();
        for (int i = 0; i < 5; i++) {
            if (!gc()) return false;
            long now = rssKiB();
            if (Math.abs(now - last) < 1024) return true;
            last = now;
        }
        return true;
    }

    /**
     * The process's live heap in bytes: what {@code jcmd <pid> GC.class_histogram} counts after the
     * full GC it runs, whatever the collector. RSS shows what the operator pays, but it also holds
     * whatever free heap the collector keeps; live bytes are what the server's data costs.
     *
     * @return -1 if jcmd is missing or failed
     */
    static long liveHeapBytes(long pid, Duration timeout) throws InterruptedException {
        List<String> histogram = jcmd(pid, "GC.class_histogram", timeout);
        if (histogram == null) return -1;
        for (String line : histogram) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].equals("Total")) {
                try {
                    return Long.parseLong(f[2]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /**
     * The heap the collector holds from the OS now ({@code committed} in {@code jcmd <pid>
     * GC.heap_info}), in KiB: live data and the free room kept for allocation.
     *
     * @return -1 if jcmd is missing or failed, or printed no committed size
     */
    long heapCommittedKiB() throws InterruptedException {
        List<String> info = jcmd(pid, "GC.heap_info", Duration.ofSeconds(30));
        if (info == null) return -1;
        for (String line : info) {
            Matcher m = COMMITTED.matcher(line);
            if (m.find()) return Long.parseLong(m.group(1));
        }
        return -1;
    }

    private long statusKiB(String key) {
        return statusKiB(pid, key);
    }

    /** VmRSS of a process in KiB, or -1 if it cannot be read (the process is gone). */
    static long rssKiBOf(long pid) {
        try {
            return statusKiB(pid, "VmRSS:");
        } catch (IllegalStateException | NumberFormatException e) {
            return -1;
        }
    }

    private static long statusKiB(long pid, String key) {
        for (String line : read(pid, "status").split("\n")) {
            if (line.startsWith(key)) return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
        }
        throw new IllegalStateException(key + " missing from /proc/" + pid + "/status");
    }

    private String read(String file) {
        return read(pid, file);
    }

    private static String read(long pid, String file) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), file));
        } catch (IOException e) {
            throw new IllegalStateException("server process " + pid + " is gone: " + e.getMessage(), e);
        }
    }

    /** USER_HZ: 100 on every Linux we know, but asked for rather than assumed. */
    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor(5, TimeUnit.SECONDS);
            return Long.parseLong(out);
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
