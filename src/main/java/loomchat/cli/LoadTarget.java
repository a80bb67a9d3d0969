package loomchat.cli;

import picocli.CommandLine.Option;

/**
 * The options that point a load command ({@code bench}, {@code soak}) at a running server: where
 * it listens, and which process it is, so that its CPU and memory can be read from {@code /proc}.
 */
final class LoadTarget {
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Server host (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "7070", description = "Chat port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--server-pid", paramLabel = "PID",
            description = "The server's process id (same machine): its CPU seconds and RSS are read from /proc.")
    Long serverPid;

    /** Refuses a port no server can listen on, or a process id there cannot be. */
    void check() {
        BadOption.between("--port", 1, 65535, port);
        if (serverPid != null) BadOption.atLeast("--server-pid", 1, serverPid);
    }
}
