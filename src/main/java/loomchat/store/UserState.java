package loomchat.store;

/**
 * Everything the server holds in memory for one registered user: the inbox, the live session
 * if any, when they were last seen, their recent send ids, their groups and who watches their
 * presence. Guarded by its partition's lock.
 */
final class UserState {
    final String name;
    final Inbox inbox = new Inbox();
    Endpoint session;
    long lastSeen;
    private SendKeys sendKeys;
    /** Ids of the groups the user is in; null while none (most users, most of the time). */
    java.util.Set<String> groups;
    /** Who watches the user's presence; made on the first subscribe and kept. */
    Watchers watchers;
    /** Made on the first send: most users, most of the time, send nothing. */
    TokenBucket sendBudget;
    /** Made on the first typing notice. */
    TokenBucket typingBudget;
    /** Made on the first read receipt. */
    TokenBucket readBudget;

    UserState(String name) {
        this.name = name;
    }

    /** The user's token bucket for {@code budget}, made full ({@code burst} tokens) on first use. */
    TokenBucket budget(ChatStore.Budget budget, int burst, long nowNanos) {
        return switch (budget) {
            case SEND -> sendBudget != null ? sendBudget : (sendBudget = new TokenBucket(burst, nowNanos));
            case TYPING -> typingBudget != null ? typingBudget : (typingBudget = new TokenBucket(burst, nowNanos));
            case READ -> readBudget != null ? readBudget : (readBudget = new TokenBucket(burst, nowNanos));
        };
    }

    SendKeys sendKeys() {
        if (sendKeys == null) sendKeys = new SendKeys();
        return sendKeys;
    }
}
