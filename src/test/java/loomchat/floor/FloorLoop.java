package loomchat.floor;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import loomchat.protocol.ClientFrame;
import loomchat.protocol.FrameCodec;
import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;

/**
 * A measuring instrument, not a server: the least a relay can do on one selector thread, with
 * loomchat's own codec. It speaks just enough of the protocol for {@code loomchat bench relay}
 * (register, login, send, ack, the {@code ok} and receipt that follow the ack) and keeps nothing
 * (no store, no disk, no limits, no checks), so that the open loop run against it shows what
 * the machine and the generator cost when the server costs as little as it can. Run by
 * {@code scripts/bench-floor}; see docs/performance.md, round 9.
 */
public final class FloorLoop {
    private static final FrameCodec CODEC = new FrameCodec(65536);

    private final Map<String, Peer> online = new HashMap<>();
    private final Set<Peer> toFlush = new LinkedHashSet<>();
    private long messages;

    /** One connection: what it has sent that is not a whole line yet, and what it is owed. */
    private static final class Peer {
        final SocketChannel channel;
        ByteBuffer in = ByteBuffer.allocate(4096);
        ByteBuffer out = ByteBuffer.allocate(8192);
        String user;
        long seq;
        /** What to do when this peer acks an item: the sender's ok and receipt, by item seq. */
        final ArrayDeque<Pending> pushed = new ArrayDeque<>();

        Peer(SocketChannel channel) {
            this.channel = channel;
        }
    }

    private record Pending(long seq, String sender, String requestId, String msg, long ts) {
    }

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7070;
        new FloorLoop().run(port);
    }

    private void run(int port) throws IOException {
        try (Selector selector = Selector.open(); ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 4096);
            listener.configureBlocking(false);
            listener.register(selector, SelectionKey.OP_ACCEPT);
            System.out.println("listening chat=" + ((InetSocketAddress) listener.getLocalAddress()).getPort());
            while (true) {
                selector.select();
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    try {
                        if (key.isAcceptable()) accept(listener, selector);
                        else if (key.isReadable()) read((Peer) key.attachment());
                    } catch (IOException e) {
                        drop(key);
                    }
                }
                // Everything a round of events produced for one peer goes out in one write.
                for (Peer p : toFlush) flush(p);
                toFlush.clear();
            }
        }
    }

    private void accept(ServerSocketChannel listener, Selector selector) throws IOException {
        for (SocketChannel c; (c = listener.accept()) != null; ) {
            c.configureBlocking(false);
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Peer p = new Peer(c);
            c.register(selector, SelectionKey.OP_READ, p);
            queue(p, new ServerFrame.Welcome("floor", 1, 65536));
        }
    }

    private void drop(SelectionKey key) {
        key.cancel();
        if (key.attachment() instanceof Peer p) {
            if (p.user != null) online.remove(p.user, p);
            toFlush.remove(p);
            try {
                p.channel.close();
            } catch (IOException ignored) {
                // gone either way
            }
        }
    }

    private void read(Peer p) throws IOException {
        if (p.channel.read(p.in) < 0) throw new IOException("closed by the client");
        byte[] bytes = p.in.array();
        int end = p.in.position();
        int from = 0;
        for (int i = 0; i < end; i++) {
            if (bytes[i] != '\n') continue;
            if (i > from) frame(p, bytes, from, i - from);
            from = i + 1;
        }
        System.arraycopy(bytes, from, bytes, 0, end - from);
        p.in.position(end - from);
        if (!p.in.hasRemaining()) p.in = ByteBuffer.allocate(p.in.capacity() * 2).put(p.in.flip());
    }

    private void frame(Peer p, byte[] bytes, int offset, int length) {
        ClientFrame frame;
        try {
            frame = CODEC.decodeClient(bytes, offset, length);
        } catch (ProtocolException e) {
            return;
        }
        switch (frame) {
            case ClientFrame.Register r -> queue(p, new ServerFrame.Ok(r.id()));
            case ClientFrame.Login l -> {
                p.user = l.user();
                online.put(l.user(), p);
                queue(p, new ServerFrame.LoginOk(l.id(), l.user(), 0));
            }
            case ClientFrame.Ping ping -> queue(p, new ServerFrame.Pong(ping.id()));
            case ClientFrame.Send s -> {
                String msg = "m" + ++messages;
                long ts = System.currentTimeMillis();
                Peer to = online.get(s.to());
                if (to == null) {
                    queue(p, new ServerFrame.SendOk(s.id(), msg, ts));
                    return;
                }
                long seq = ++to.seq;
                to.pushed.add(new Pending(seq, p.user, s.id(), msg, ts));
                queue(to, new ServerFrame.Msg(seq, msg, p.user, s.to(), null, s.body(), null, ts));
            }
            case ClientFrame.Ack a -> {
                while (!p.pushed.isEmpty() && p.pushed.peek().seq() <= a.seq()) {
                    Pending done = p.pushed.poll();
                    Peer sender = online.get(done.sender());
                    if (sender == null) continue;
                    queue(sender, new ServerFrame.SendOk(done.requestId(), done.msg(), done.ts()));
                    queue(sender, new ServerFrame.Receipt(++sender.seq, done.msg(),
                            ServerFrame.ReceiptStatus.DELIVERED, p.user, System.currentTimeMillis()));
                }
            }
            default -> { }
        }
    }

    private void queue(Peer p, ServerFrame frame) {
        byte[] line = CODEC.encode(frame);
        if (p.out.remaining() < line.length) {
            ByteBuffer bigger = ByteBuffer.allocate(2 * (p.out.capacity() + line.length));
            p.out = bigger.put(p.out.flip());
        }
        p.out.put(line);
        toFlush.add(p);
    }

    private static void flush(Peer p) {
        p.out.flip();
        try {
            while (p.out.hasRemaining()) {
                if (p.channel.write(p.out) == 0) Thread.onSpinWait(); // the generator always reads: spin
            }
        } catch (IOException e) {
            // the read side notices
        }
        p.out.clear();
    }
}
