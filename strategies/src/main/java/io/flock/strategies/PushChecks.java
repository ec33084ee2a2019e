package io.flock.strategies;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Argument checks shared by the shard states' {@code push}. */
final class PushChecks {

    private PushChecks() {}

    /** Rejects a micro-batch index outside [0, M) or a gradient slice of another length than the shard's. */
    static void check(int m, int microBatches, INDArray gradient, INDArray params) {
        if (m < 0 || m >= microBatches) {
            throw new IllegalArgumentException("micro-batch " + m + " out of range [0, " + microBatches + ")");
        }
        if (gradient.length() != params.length()) {
            throw new IllegalArgumentException("gradient slice has " + gradient.length() + " values, shard holds "
                    + params.length());
        }
    }
}
