package loomchat.store;

/**
 * Which of n partitions a key (a user name, a group id) belongs to.
 *
 * <p>Each partition keeps its keys in a {@link java.util.HashMap}, which picks a bucket from the
 * low bits of {@code h ^ (h >>> 16)}. Choosing the partition from those same bits would give
 * every key of one partition the same low bits, so a partition's map would use only one bucket
 * in n and degrade into trees of colliding keys (measured: a fifth of a token login's CPU went
 * to {@code HashMap$TreeNode.find} at 19,000 users). The partition is therefore chosen after a
 * full avalanche mix (MurmurHash3's finalizer), which leaves the map's bits uncorrelated.
 */
final class PartitionIndex {
    private PartitionIndex() {
    }

    static int of(String key, int partitions) {
        int h = key.hashCode();
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return Math.floorMod(h, partitions);
    }
}
