package io.flock.tensor.data;

/** Placeholder: replaced by the validating reader. */
final class IdxReader {
    private IdxReader() {}

    static Dataset load(String dir, String prefix, int classes) {
        throw new UnsupportedOperationException("IdxReader not yet implemented");
    }
}
