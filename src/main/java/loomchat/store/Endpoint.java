package loomchat.store;

import loomchat.protocol.EncodedFrame;
import loomchat.protocol.ServerFrame;

/** A user's live connection as the store sees it; every method returns at once and never blocks. */
public interface Endpoint {

    /** New inbox items may be ready to pull. */
    void wake();

    /**
     * Queues the reply to a request. Never dropped while the connection lives: a client that lets
     * its own replies fill the queue is cut off instead.
     */
    void reply(ServerFrame frame);

    /** Queues a transient frame (presence, typing); false when it was dropped because the queue is full. */
    boolean offer(ServerFrame frame);

    /** Queues a transient frame already encoded for many endpoints; false when it was dropped. */
    boolean offer(EncodedFrame notice);

    /** A newer login of the same user took over: tell the client and close. */
    void replaced();
}
