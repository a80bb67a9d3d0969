package loomchat.store;

/**
 * Shrinks a message id to the part a send key must keep, and rebuilds the id from that part and
 * the send. A key is held for a day, and the id was most of its bytes; the chat layer, which makes
 * the ids, knows which of their parts follow from the send (its sender, request id and time).
 */
public interface MessageIdShrinker {

    /** Keeps every id whole: for stores whose ids are not made by a {@code MessageIds}. */
    MessageIdShrinker NONE = new MessageIdShrinker() {
        @Override
        public String shrink(String msg) {
            return msg;
        }

        @Override
        public String expand(String kept, String sender, String requestId, long ts) {
            return kept;
        }
    };

    /** What a send key keeps of {@code msg}, an id made for the send it is kept under: a part of it, or all of it. */
    String shrink(String msg);

    /** The id {@link #shrink} made {@code kept} of, for {@code sender}'s send {@code requestId} at {@code ts}. */
    String expand(String kept, String sender, String requestId, long ts);
}
