package loomchat.store;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One part of the store: the users that hash to it, behind one lock.
 *
 * <p>A {@link ReentrantLock}, not an object monitor: nothing blocks while it is held, but if
 * something ever did, a virtual thread parked on a ReentrantLock frees its carrier thread, where a
 * monitor would pin it on JDK 21-23.
 */
final class Partition {
    final int index;
    final ReentrantLock lock = new ReentrantLock();
    final Map<String, UserState> users = new HashMap<>();

    Partition(int index) {
        this.index = index;
    }
}
