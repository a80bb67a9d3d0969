package loomchat.chat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import loomchat.metrics.Metrics;
import loomchat.protocol.ClientFrame;
import loomchat.protocol.ErrorCode;
import loomchat.protocol.ProtocolException;
import loomchat.protocol.ServerFrame;
import loomchat.protocol.ServerFrame.InboxItem;
import loomchat.protocol.ServerFrame.Msg;
import loomchat.protocol.ServerFrame.Receipt;
import loomchat.protocol.ServerFrame.ReceiptStatus;
import loomchat.store.ChatStore;
import loomchat.store.Commit;
import loomchat.store.Endpoint;
import loomchat.store.SentMessage;

/**
 * Message routing: sends into inboxes, acknowledgements out of them, and the receipts between.
 *
 * <p>No method blocks. A send returns a future that completes with its {@code ok} once the
 * message is safe, so a client may have many sends in flight on one connection.
 */
public final class Router {
    private static final System.Logger LOG = System.getLogger(Router.class.getName());

    private final ChatStore store;
    private final MessageIds ids;
    private final Metrics metrics;

    public Router(ChatStore store, MessageIds ids, Metrics metrics) {
        this.store = store;
        this.ids = ids;
        this.metrics = metrics;
    }

    /**
     * Sends a message to one user. A repeated request id of the same sender answers with the
     * first send's {@code msg} and {@code ts} and delivers nothing new.
     */
    public CompletableFuture<ServerFrame.Reply> send(String from, ClientFrame.Send send) {
        if (send.group() != null) {
            return failed(new ProtocolException(ErrorCode.NO_SUCH_GROUP, send.id(), "no such group: " + send.group()));
        }
        if (send.media() != null) {
            return failed(new ProtocolException(ErrorCode.NO_SUCH_MEDIA, send.id(), "no such media: " + send.media().id()));
        }
        long now = System.currentTimeMillis();
        String msgId = ids.newId(from, send.to());
        SentMessage fresh = new SentMessage(msgId, now, new CompletableFuture<>(), now);
        ChatStore.Claim claim = store.claimSend(from, send.id(), fresh);
        SentMessage sent = claim.sent();
        if (claim.fresh()) {
            try {
                ChatStore.Appended appended = store.append(send.to(),
                        seq -> new Msg(seq, msgId, from, send.to(), null, send.body(), send.media(), now),
                        new Commit.SendKey(from, send.id(), msgId, now), true);
                metrics.messagesSent.increment();
                appended.durable().whenComplete((ok, error) -> {
                    if (error == null) {
                        fresh.durable().complete(null);
                    } else {
                        store.forgetSend(from, send.id(), fresh);
                        fresh.durable().completeExceptionally(error);
                    }
                });
            } catch (ProtocolException e) {
                store.forgetSend(from, send.id(), fresh);
                fresh.durable().completeExceptionally(e);
            }
        }
        return sent.durable().handle((ok, error) -> error == null
                ? new ServerFrame.SendOk(send.id(), sent.msg(), sent.ts())
                : errorReply(send.id(), error));
    }

    /** Acknowledges a user's items up to {@code seq} and sends delivered receipts for the messages among them. */
    public void ack(String user, Endpoint endpoint, long seq) {
        List<InboxItem> dropped = store.ack(user, endpoint, seq);
        for (InboxItem item : dropped) {
            if (item instanceof Msg m) receipt(m.from(), m.msg(), ReceiptStatus.DELIVERED, user);
        }
    }

    /** The reader has read a message: its sender gets a read receipt. Only the message's recipient may say so. */
    public void read(String reader, String msgId) throws ProtocolException {
        MessageIds.Parsed parsed = ids.parse(msgId);
        if (parsed == null || parsed.to() == null || !parsed.to().equals(reader)) {
            throw new ProtocolException(ErrorCode.INVALID, null, "'read' names a message that was not sent to you");
        }
        receipt(parsed.from(), msgId, ReceiptStatus.READ, reader);
    }

    private void receipt(String to, String msg, ReceiptStatus status, String by) {
        long now = System.currentTimeMillis();
        try {
            store.append(to, seq -> new Receipt(seq, msg, status, by, now), null, false);
        } catch (ProtocolException e) {
            // The sender's inbox is far over its limit or the server is overloaded: a receipt is
            // the one thing we may drop, since the message itself was delivered.
            LOG.log(System.Logger.Level.DEBUG, "receipt for {0} dropped: {1}", to, e.getMessage());
        }
    }

    private static CompletableFuture<ServerFrame.Reply> failed(ProtocolException e) {
        return CompletableFuture.completedFuture(e.toFrame());
    }

    /** The error frame for a failed send: a refusal as itself, anything else as {@code internal}. */
    static ServerFrame.Error errorReply(String requestId, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof ProtocolException p) {
            return new ServerFrame.Error(requestId, p.code(), p.getMessage());
        }
        return new ServerFrame.Error(requestId, ErrorCode.INTERNAL, "the message could not be stored; try again");
    }
}
