package loomchat.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
    /**
     * A heap line of {@code GC.heap_info}, and the heap's committed size in it: {@code total NK}
     * on JDK 21 ({@code " garbage-first heap   total 262144K, used 12345K [...]"}, and on every
     * JDK for ParallelGC's and SerialGC's generations), {@code total reserved NK, committed MK}
     * for G1 on later JDKs. The Metaspace lines below the heap also say "committed", and they say
     * no "total": a pattern that took the first "committed" read Metaspace's on JDK 21.
     */
    private static final Pattern HEAP_TOTAL = Pattern.compile("^\\s*\\S.*?\\s+total (?:reserved \\d+K, committed (\\d+)K|(\\d+)K)");

    private final long pid;
    private final long ticksPerSecond;
    private volatile boolean peakSinceMeasure;

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

    /** The highest resident set size the process has had since {@link #peakRssSince}, in KiB. */
    long peakRssKiB() {
        return statusKiB("VmHWM:");
    }

    /**
     * Restarts the peak RSS from the RSS now: writing 5 to {@code /proc/<pid>/clear_refs} makes
     * Linux set {@code VmHWM} to the current RSS. Without it the peak is the process's lifetime
     * one, and a workload run on a server that already ran another reports the other's peak.
     *
     * @return false if the file could not be written (another user's process, not Linux): the
     *         peak then still counts from the server's start
     */
    boolean restartPeakRss() {
        try {
            // WRITE only: no CREATE or TRUNCATE, which a /proc file does not take.
            Files.writeString(Path.of("/proc", Long.toString(pid), "clear_refs"), "5", StandardOpenOption.WRITE);
            peakSinceMeasure = true;
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** Since when {@link #peakRssKiB} counts: "measure" after {@link #restartPeakRss}, else "start". */
    String peakRssSince() {
        return peakSinceMeasure ? "measure" : "start";
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
     * @return -1 if jcmd is missing or failed, or printed no committed heap size
     */
    long heapCommittedKiB() throws InterruptedException {
        List<String> info = jcmd(pid, "GC.heap_info", Duration.ofSeconds(30));
        return info == null ? -1 : heapCommittedKiB(info);
    }

    /**
     * The committed heap in {@code GC.heap_info} output: the sum over its heap lines (G1 has one,
     * ParallelGC and SerialGC one per generation), or -1 if it has none (ZGC and Shenandoah
     * print their heaps otherwise).
     */
    static long heapCommittedKiB(List<String> heapInfo) {
        long sum = -1;
        for (String line : heapInfo) {
            Matcher m = HEAP_TOTAL.matcher(line);
            if (m.find()) sum = Math.max(sum, 0) + Long.parseLong(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return sum;
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
