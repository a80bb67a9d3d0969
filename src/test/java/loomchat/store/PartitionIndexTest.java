package loomchat.store;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** How keys are spread over partitions, and within a partition over its hash map. */
class PartitionIndexTest {

    @Test
    void theUsersOfOnePartitionSpreadOverTheBucketsOfItsMap() {
        // given 20,000 users named as a load generator names them, over 64 partitions
        int partitions = 64;
        int buckets = 512; // the table of a HashMap holding a partition's ~300 users
        Set<Integer> bucketsUsed = new HashSet<>();
        int inPartition = 0;
        for (int i = 0; i < 20_000; i++) {
            String user = "bench-i" + i;
            // when we look at the users that land in partition 0
            if (PartitionIndex.of(user, partitions) != 0) continue;
            inPartition++;
            int h = user.hashCode();
            bucketsUsed.add((h ^ (h >>> 16)) & (buckets - 1)); // HashMap's own bucket choice
        }
        // then they are spread over most of its buckets, not crowded into one in 64
        assertTrue(inPartition > 250 && inPartition < 380, inPartition + " users in partition 0");
        assertTrue(bucketsUsed.size() > inPartition / 2, inPartition + " users in " + bucketsUsed.size() + " buckets");
    }

    @Test
    void usersSpreadEvenlyOverPartitions() {
        int[] counts = new int[64];
        for (int i = 0; i < 64_000; i++) counts[PartitionIndex.of("user" + i, 64)]++;
        for (int c : counts) assertTrue(c > 800 && c < 1200, "a partition holds " + c + " of 64,000 users");
    }
}
