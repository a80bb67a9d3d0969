package loomchat.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the shaded jar as separate processes, as an operator would, for the {@code *JarIT} tests:
 * each in a working directory of its own, stderr kept in a file, and every process still alive
 * killed on {@link #close}. The jar's path comes from the system property {@code loomchat.jar},
 * which failsafe sets after {@code package}.
 */
public final class ServerJar implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("^listening chat=(\\d+) http=(\\d+)$");
    private static final long START_TIMEOUT_SECONDS = 60;

    private final Path workDir;
    private final List<Process> started = new ArrayList<>();
    private final List<String> jvmOptions = new ArrayList<>();
    private final Map<Process, Path> stderr = new HashMap<>();

    /** One running server process and the ports it printed. */
    public record Server(Process process, int port, int httpPort) {
    }

    /** Processes start in {@code workDir}, so that no config.yaml is picked up by accident. */
    public ServerJar(Path workDir) {
        this.workDir = workDir;
    }

    /** JVM options (such as {@code -Dkey=value}) for the processes started from now on. */
    public ServerJar withJvmOptions(String... options) {
        jvmOptions.addAll(List.of(options));
        return this;
    }

    /**
     * Starts {@code serve --for-tests} (cheap password hashing, 127.0.0.1, no login or
     * registration limits in practice) on any free ports, plus {@code extraArgs}, and waits for
     * its {@code listening} line.
     */
    public Server serve(Path dataDir, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("serve", "--for-tests", "--port", "0", "--http-port", "0",
                "--data-dir", dataDir.toString()));
        args.addAll(List.of(extraArgs));
        Process p = start(args);
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = p.inputReader(StandardCharsets.UTF_8)) {
                for (String line; (line = r.readLine()) != null; ) lines.add(line);
            } catch (IOException ignored) {
                // the process is gone
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line != null) {
                Matcher m = LISTENING.matcher(line.strip());
                if (m.matches()) return new Server(p, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
            } else if (!p.isAlive()) {
                fail("the server exited with " + p.exitValue() + ": " + Files.readString(stderr.get(p)));
            }
        }
        return fail("no 'listening chat=<port> http=<port>' line within " + START_TIMEOUT_SECONDS + " s");
    }

    /** Starts {@code java -jar loomchat.jar <args>} with a small heap; stdout is the caller's to read. */
    public Process start(List<String> args) throws IOException {
        String jar = System.getProperty("loomchat.jar", "target/loomchat.jar");
        assertTrue(Files.isRegularFile(Path.of(jar)), "the shaded jar at " + jar + " (run mvn package first)");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", Path.of(jar).toAbsolutePath().toString()));
        command.addAll(args);
        Path errors = workDir.resolve("stderr-" + started.size() + ".log");
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectError(errors.toFile()).start();
        started.add(p);
        stderr.put(p, errors);
        return p;
    }

    /** What the process wrote to stderr so far, blank lines left out. */
    public List<String> stderrLines(Process p) throws IOException {
        return Files.readAllLines(stderr.get(p)).stream().filter(l -> !l.isBlank()).toList();
    }

    /** Kills every process still running (SIGKILL) and waits for it to go. */
    @Override
    public void close() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
