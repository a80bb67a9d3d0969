package loomchat.cli;

import java.math.BigDecimal;

/**
 * An option value a command cannot use, such as {@code --pairs -1}: {@link Main} prints the
 * message as one line after the command's name, and exits 2. picocli checks an option's type;
 * the checks here cover its range.
 */
final class BadOption extends RuntimeException {
    BadOption(String message) {
        super(message);
    }

    /** Refuses a {@code value} of {@code option} below {@code min}. */
    static void atLeast(String option, long min, long value) {
        if (value < min) throw new BadOption(option + " must be at least " + min + ", not " + value);
    }

    /** Refuses a {@code value} of {@code option} below {@code min}, or not a number (NaN, Infinity). */
    static void atLeast(String option, double min, double value) {
        if (!(value >= min && Double.isFinite(value))) {
            throw new BadOption(option + " must be at least " + plain(min) + ", not " + plain(value));
        }
    }

    /** Refuses a {@code value} of {@code option} that is 0 or less, or not a number. */
    static void positive(String option, double value) {
        if (!(value > 0 && Double.isFinite(value))) {
            throw new BadOption(option + " must be more than 0, not " + plain(value));
        }
    }

    /** Refuses a {@code value} of {@code option} outside {@code min} to {@code max}. */
    static void between(String option, long min, long max, long value) {
        if (value < min || value > max) {
            throw new BadOption(option + " must be from " + min + " to " + max + ", not " + value);
        }
    }

    /** Refuses a {@code value} of {@code option} outside {@code min} to {@code max}, or not a number. */
    static void between(String option, double min, double max, double value) {
        if (!(value >= min && value <= max)) {
            throw new BadOption(option + " must be from " + plain(min) + " to " + plain(max) + ", not " + plain(value));
        }
    }

    /** 2 rather than 2.0, as the user would have typed it. */
    private static String plain(double value) {
        return Double.isFinite(value) ? BigDecimal.valueOf(value).stripTrailingZeros().toPlainString()
                : String.valueOf(value);
    }
}
