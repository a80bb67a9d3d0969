package loomchat.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import loomchat.store.ChatStore;
import loomchat.store.Commit;
import loomchat.store.CommitQueue;

/**
 * A commit queue for tests of the store and the router: it has room for everything, holds what
 * it is given and answers nothing, so that the test plays the committer.
 */
public final class HeldCommitQueue implements CommitQueue {
    private final List<Commit> ops = new CopyOnWriteArrayList<>();

    /** The write queued for the item {@code sent} appended. */
    public Commit.WriteItem writeOf(ChatStore.Appended sent) {
        for (Commit op : ops) {
            if (op instanceof Commit.WriteItem w && w.entry().item() == sent.item()) return w;
        }
        throw new AssertionError("no write queued for " + sent.item());
    }

    @Override
    public boolean offer(int partition, Commit op) {
        ops.add(op);
        return true;
    }

    @Override
    public boolean reserve(int[] partitions, long timeoutNanos) {
        return true;
    }

    @Override
    public void offerReserved(int partition, Commit op) {
        ops.add(op);
    }

    @Override
    public void release(int partition) {
    }
}
