package loomchat.testing;

import loomchat.protocol.EncodedFrame;
import loomchat.protocol.ServerFrame;
import loomchat.store.Endpoint;

/** A session for tests of the store: it takes every frame and is never woken for anything. */
public final class QuietEndpoint implements Endpoint {
    @Override
    public void wake() {
    }

    @Override
    public void reply(ServerFrame frame) {
    }

    @Override
    public boolean offer(ServerFrame frame) {
        return true;
    }

    @Override
    public boolean offer(EncodedFrame notice) {
        return true;
    }

    @Override
    public void replaced() {
    }
}
