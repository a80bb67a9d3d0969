package loomchat.floor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import loomchat.protocol.ClientFrame;
import loomchat.protocol.FrameCodec;
import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;

/**
 * A measuring instrument, not a server: {@link FloorLoop}'s minimal relay built as loomchat is
 * built, one virtual thread per connection on blocking sockets. Every frame is written at once
 * by the thread that makes it (no writer threads, no store, no disk, no limits), so the
 * difference between this and {@code FloorLoop} is what the JDK's blocking I/O on virtual
 * threads costs, and the difference between this and loomchat is what loomchat's own work
 * costs. Run by {@code scripts/bench-floor}; see docs/performance.md, round 9.
 */
public final class FloorThreads {
    private static final FrameCodec CODEC = new FrameCodec(65536);

    private final Map<String, Peer> online = new ConcurrentHashMap<>();
    private final AtomicLong messages = new AtomicLong();

    /** One connection: its socket, its item numbers, and what it is owed when it acks. */
    private static final class Peer {
        final OutputStream out;
        final ReentrantLock lock = new ReentrantLock(); // writes, seq and pushed
        final ArrayDeque<Pending> pushed = new ArrayDeque<>();
        long seq;
        volatile String user;

        Peer(Socket socket) throws IOException {
            this.out = socket.getOutputStream();
        }

        void write(byte[] line) {
            lock.lock();
            try {
                out.write(line);
            } catch (IOException e) {
                // the reader notices
            } finally {
                lock.unlock();
            }
        }
    }

    private record Pending(long seq, String sender, String requestId, String msg, long ts) {
    }

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7070;
        new FloorThreads().run(port);
    }

    private void run(int port) throws IOException {
        try (ServerSocket listener = new ServerSocket(port, 4096, InetAddress.getLoopbackAddress())) {
            System.out.println("listening chat=" + listener.getLocalPort());
            while (true) {
                Socket socket = listener.accept();
                Thread.ofVirtual().start(() -> serve(socket));
            }
        }
    }

    private void serve(Socket socket) {
        Peer p = null;
        try (socket) {
            socket.setTcpNoDelay(true);
            p = new Peer(socket);
            p.write(CODEC.encode(new ServerFrame.Welcome("floor", 1, 65536)));
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            int end = 0;
            for (int n; (n = in.read(buffer, end, buffer.length - end)) >= 0; ) {
                end += n;
                int from = 0;
                for (int i = 0; i < end; i++) {
                    if (buffer[i] != '\n') continue;
                    if (i > from) frame(p, buffer, from, i - from);
                    from = i + 1;
                }
                System.arraycopy(buffer, from, buffer, 0, end - from);
                end -= from;
                if (end == buffer.length) buffer = Arrays.copyOf(buffer, 2 * buffer.length);
            }
        } catch (IOException e) {
            // gone
        } finally {
            if (p != null && p.user != null) online.remove(p.user, p);
        }
    }

    private void frame(Peer p, byte[] bytes, int offset, int length) {
        ClientFrame frame;
        try {
            frame = CODEC.decodeClient(bytes, offset, length);
        } catch (ProtocolException e) {
            return;
        }
        switch (frame) {
            case ClientFrame.Register r -> p.write(CODEC.encode(new ServerFrame.Ok(r.id())));
            case ClientFrame.Login l -> {
                p.user = l.user();
                online.put(l.user(), p);
                p.write(CODEC.encode(new ServerFrame.LoginOk(l.id(), l.user(), 0)));
            }
            case ClientFrame.Ping ping -> p.write(CODEC.encode(new ServerFrame.Pong(ping.id())));
            case ClientFrame.Send s -> {
                String msg = "m" + messages.incrementAndGet();
                long ts = System.currentTimeMillis();
                Peer to = online.get(s.to());
                if (to == null) {
                    p.write(CODEC.encode(new ServerFrame.SendOk(s.id(), msg, ts)));
                    return;
                }
                to.lock.lock(); // seq, queue and write in one step: items go out in seq order
                try {
                    long seq = ++to.seq;
                    to.pushed.add(new Pending(seq, p.user, s.id(), msg, ts));
                    to.write(CODEC.encode(new ServerFrame.Msg(seq, msg, p.user, s.to(), null, s.body(), null, ts)));
                } finally {
                    to.lock.unlock();
                }
            }
            case ClientFrame.Ack a -> {
                while (true) {
                    Pending done;
                    p.lock.lock();
                    try {
                        if (p.pushed.isEmpty() || p.pushed.peek().seq() > a.seq()) break;
                        done = p.pushed.poll();
                    } finally {
                        p.lock.unlock();
                    }
                    Peer sender = online.get(done.sender());
                    if (sender == null) continue;
                    byte[] ok = CODEC.encode(new ServerFrame.SendOk(done.requestId(), done.msg(), done.ts()));
                    sender.lock.lock();
                    try {
                        byte[] receipt = CODEC.encode(new ServerFrame.Receipt(++sender.seq, done.msg(),
                                ServerFrame.ReceiptStatus.DELIVERED, p.user, System.currentTimeMillis()));
                        byte[] both = Arrays.copyOf(ok, ok.length + receipt.length);
                        System.arraycopy(receipt, 0, both, ok.length, receipt.length);
                        sender.write(both); // one write, as loomchat's writer joins a burst
                    } finally {
                        sender.lock.unlock();
                    }
                }
            }
            default -> { }
        }
    }
}
