package loomchat.server;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The encoded frames one writer run has ready, written to the socket together in one system call.
 *
 * <p>It does the job of a {@link java.io.BufferedOutputStream} without owning a buffer. A writer
 * runs once per burst of output and most bursts are one or two small frames (a message, an
 * {@code ok} and its receipt), so an 8 KiB buffer made for each run was most of what the server
 * allocated per message in an open-loop relay (about 16 KiB of 26), and its garbage set the pace
 * of young collections. Here a lone frame is written as it is, and several are joined into one
 * array of their total size: the allocation follows the bytes sent, not a buffer's capacity.
 */
final class Burst {
    /** Frames are written once this many bytes are held, as a buffer of this size would. */
    static final int LIMIT = 8192;

    private final OutputStream out;
    private final List<byte[]> frames = new ArrayList<>(4);
    private int bytes;

    Burst(OutputStream out) {
        this.out = out;
    }

    /** Holds {@code frame} for the next write; writes what is held first if the frame would take it past {@link #LIMIT}. */
    void add(byte[] frame) throws IOException {
        if (bytes + frame.length > LIMIT) flush();
        frames.add(frame);
        bytes += frame.length;
    }

    /** Writes what is held, in one call to the socket's stream. */
    void flush() throws IOException {
        if (frames.isEmpty()) return;
        byte[] all;
        if (frames.size() == 1) {
            all = frames.getFirst();
        } else {
            all = new byte[bytes];
            int at = 0;
            for (byte[] frame : frames) {
                System.arraycopy(frame, 0, all, at, frame.length);
                at += frame.length;
            }
        }
        frames.clear();
        bytes = 0;
        out.write(all);
    }
}
