package loomchat.store;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A sender's recent {@code send} request ids and their answers, so that a retried send returns
 * the first answer instead of delivering twice. Bounded by count and age; not thread-safe (used
 * under the partition lock).
 */
final class SendKeys {
    private final LinkedHashMap<String, SentMessage> byRequestId = new LinkedHashMap<>();

    SentMessage get(String requestId, long now, long ttlMillis) {
        SentMessage s = byRequestId.get(requestId);
        if (s != null && now - s.createdMillis() > ttlMillis) {
            byRequestId.remove(requestId);
            return null;
        }
        return s;
    }

    void put(String requestId, SentMessage sent, int max, long now, long ttlMillis) {
        byRequestId.put(requestId, sent);
        // Insertion order is age order: evict from the front past the count limit or the age limit.
        Iterator<Map.Entry<String, SentMessage>> it = byRequestId.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, SentMessage> e = it.next();
            if (byRequestId.size() > max || now - e.getValue().createdMillis() > ttlMillis) it.remove();
            else break;
        }
    }

    void remove(String requestId, SentMessage sent) {
        byRequestId.remove(requestId, sent);
    }
}
