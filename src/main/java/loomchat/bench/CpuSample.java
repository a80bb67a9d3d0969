package loomchat.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU used so far by the server, by the generator itself and by the whole machine, read at
 * the start and at the end of a measured run. With the generator and the server on one machine,
 * the machine's share says whether a latency was measured with cores to spare or on a saturated
 * box, where every hiccup (a collection, a descheduled thread) leaves a queue behind it.
 *
 * @param serverSeconds    the server's user and system CPU time, or -1 when it cannot be watched
 * @param generatorSeconds this process's CPU time
 * @param machineBusyTicks clock ticks the machine's cores spent neither idle nor waiting for I/O,
 *                         or -1 without {@code /proc/stat}
 * @param machineTicks     all clock ticks of all cores, or -1 without {@code /proc/stat}
 */
record CpuSample(double serverSeconds, double generatorSeconds, long machineBusyTicks, long machineTicks) {

    /**
     * The sample at the start of a measured phase, where the server's peak RSS also restarts
     * ({@link ServerProbe#restartPeakRss}), so that {@link Report#cpu} reports this phase's peak
     * and not one an earlier workload on the same server reached.
     */
    static CpuSample startMeasuring(ServerProbe server) {
        if (server != null) server.restartPeakRss();
        return take(server);
    }

    static CpuSample take(ServerProbe server) {
        double generator = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
        long busy = -1;
        long total = -1;
        try {
            // "cpu  user nice system idle iowait irq softirq steal ...": the first line sums the cores
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]);
            busy = total - Long.parseLong(f[4]) - Long.parseLong(f[5]);
        } catch (IOException | RuntimeException e) {
            // not Linux: the report goes without the machine's share
        }
        return new CpuSample(server == null ? -1 : server.cpuSeconds(), generator, busy, total);
    }
}
