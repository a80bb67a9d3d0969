package loomchat.store;

import loomchat.protocol.ServerFrame;

/** A user's live connection as the store sees it; every method returns at once and never blocks. */
public interface Endpoint {

    /** New inbox items may be ready to pull. */
    void wake();

    /** Queues a transient frame (presence, typing); false when it was dropped because the queue is full. */
    boolean offer(ServerFrame frame);

    /** A newer login of the same user took over: tell the client and close. */
    void replaced();
}
