package loomchat.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A request's header fields, in the order they came, looked up without regard to case.
 *
 * <p>A list rather than a map: a request holds a few dozen fields at most (the reader refuses
 * more), and a scan of them costs less than hashing each name.
 */
public final class HttpHeaders {
    private final List<String> names = new ArrayList<>(); // lower case
    private final List<String> values = new ArrayList<>();

    void add(String name, String value) {
        names.add(name.toLowerCase(Locale.ROOT));
        values.add(value);
    }

    /** The first value of {@code name}, or null if the request has no such field. */
    public String first(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equals(key)) return values.get(i);
        }
        return null;
    }

    /** Every value of {@code name}, in order. */
    public List<String> all(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        List<String> found = new ArrayList<>(1);
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equals(key)) found.add(values.get(i));
        }
        return found;
    }

    /** Whether {@code name}'s values, as a comma-separated list, hold {@code token} (any case). */
    boolean hasToken(String name, String token) {
        for (String value : all(name)) {
            for (String part : value.split(",")) {
                if (RequestReader.ows(part).equalsIgnoreCase(token)) return true;
            }
        }
        return false;
    }

    int size() {
        return names.size();
    }
}
