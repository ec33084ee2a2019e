package io.flock.strategies;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Splits a flat vector of {@code length} values into chunks of at most {@code chunkSize}. */
record Chunking(long length, int chunkSize) {

    Chunking {
        if (length <= 0 || chunkSize <= 0) {
            throw new IllegalArgumentException("length and chunk size must be positive: " + length + ", " + chunkSize);
        }
    }

    int count() {
        return (int) ((length + chunkSize - 1) / chunkSize);
    }

    long from(int chunk) {
        return (long) chunk * chunkSize;
    }

    long to(int chunk) {
        return Math.min(length, from(chunk) + chunkSize);
    }

    /** A view of chunk {@code k} of the flat vector {@code v}. */
    INDArray view(INDArray v, int chunk) {
        return v.get(NDArrayIndex.interval(from(chunk), to(chunk)));
    }
}
