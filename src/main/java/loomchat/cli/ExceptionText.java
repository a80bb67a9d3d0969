package loomchat.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * An exception as one line that says what went wrong. A {@code java.nio.file} exception's
 * message is often just the path ("cannot start: /tmp/x/data"), its kind being in its class:
 * here the kind is said in words after the path ("/tmp/x/data: permission denied").
 */
final class ExceptionText {
    private ExceptionText() {
    }

    /** What went wrong, and with which file if it was a file. */
    static String of(Throwable e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + reason(e);
        }
        return reason(e);
    }

    /** What went wrong, without the file: for a caller that names the file itself. */
    static String reason(Throwable e) {
        if (e instanceof FileSystemException f) {
            return switch (f) {
                case NoSuchFileException missing -> "no such file";
                case AccessDeniedException denied -> "permission denied";
                // what Files.createDirectories throws when the path is a file
                case FileAlreadyExistsException exists -> "not a directory";
                case NotDirectoryException notDirectory -> "not a directory";
                default -> f.getReason() != null ? f.getReason() : f.getClass().getSimpleName();
            };
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
