package loomchat.chat;

import loomchat.testing.Await;
import org.junit.jupiter.api.Test;

import java.util.concurrent.RejectedExecutionException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link PasswordHasher}: hashes on threads of its own, and a queue of bounded length in front of them. */
class PasswordHasherTest {

    @Test
    void aHashPastTheQueueIsRefusedAtOnceInsteadOfWaiting() throws Exception {
        // given one hashing thread busy with a slow hash, and another slow one waiting (a queue of one)
        try (PasswordHasher hasher = new PasswordHasher(1000, 1, 1)) {
            byte[] salt = hasher.newSalt();
            Thread busy = Thread.ofVirtual().start(() -> hasher.hash("slow", salt, 2_000_000));
            Thread queued = Thread.ofVirtual().start(() -> hasher.hash("slow too", salt, 2_000_000));
            Await.until(() -> hasher.waiting() == 1, "one hash running and one queued");

            // when a third is asked for, then it is refused rather than queued
            assertThrows(RejectedExecutionException.class, () -> hasher.hash("third", salt, 1000));
            busy.join();
            queued.join();
        }
    }

    @Test
    void theSamePasswordAndSaltHashAlike() {
        try (PasswordHasher hasher = new PasswordHasher(1000, 1, 1)) {
            byte[] salt = hasher.newSalt();
            assertArrayEquals(hasher.hash("secret", salt, 1000), hasher.hash("secret", salt, 1000));
        }
    }
}
