package io.flock.tensor.data;

/**
 * A dataset could not be loaded or failed validation: a missing, truncated or malformed file,
 * or values outside the schema. The message names the file and where in it the problem is.
 */
public class DatasetException extends RuntimeException {

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
