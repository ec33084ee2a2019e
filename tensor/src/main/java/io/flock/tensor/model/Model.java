package io.flock.tensor.model;

import io.flock.tensor.data.MiniBatch;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trainable model seen as one flat parameter vector: Flock's workers, shards and rings only
 * ever move and slice that vector, never layers. Implementations are not thread-safe; use one
 * instance per worker.
 */
public interface Model {

    /** Length of the flat parameter vector. */
    long numParams();

    /** A fresh copy of the initial parameters; identical for the same {@link ModelSpec}. */
    INDArray initialParams();

    /**
     * Loss and gradient of the mean loss over {@code batch}, evaluated at {@code params}.
     * {@code params} is only read; the returned gradient is a new array.
     */
    GradientResult gradient(INDArray params, MiniBatch batch);

    /** Class probabilities, shape [n, classes], for {@code features} at {@code params}. */
    INDArray predict(INDArray params, INDArray features);

    /** Fraction of samples in {@code batch} whose arg-max prediction equals the label. */
    double accuracy(INDArray params, MiniBatch batch);
}
