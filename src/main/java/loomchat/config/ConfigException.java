package loomchat.config;

/** A setting that cannot be used; the message names the key and what it must be. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
