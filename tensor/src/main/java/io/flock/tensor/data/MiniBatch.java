package io.flock.tensor.data;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Features [n, inputs] and one-hot labels [n, classes] of one micro-batch, as float arrays.
 */
public record MiniBatch(INDArray features, INDArray labels) {
    public MiniBatch {
        if (features.rows() != labels.rows()) {
            throw new IllegalArgumentException("features have " + features.rows() + " rows but labels have "
                    + labels.rows());
        }
    }

    /** Number of samples. */
    public int size() {
        return (int) features.rows();
    }
}
