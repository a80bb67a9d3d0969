package loomchat.store;

/**
 * Everything the server holds in memory for one registered user: the inbox, the live session
 * if any, when they were last seen, and their recent send ids. Guarded by its partition's lock.
 */
final class UserState {
    final String name;
    final Inbox inbox = new Inbox();
    Endpoint session;
    long lastSeen;
    private SendKeys sendKeys;

    UserState(String name) {
        this.name = name;
    }

    SendKeys sendKeys() {
        if (sendKeys == null) sendKeys = new SendKeys();
        return sendKeys;
    }
}
