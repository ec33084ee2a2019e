package io.flock.tensor.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Mean loss and flat gradient of the mean loss over one micro-batch.
 *
 * @param loss     mean loss over the micro-batch's samples
 * @param gradient a fresh flat float vector of length {@link Model#numParams()}, owned by the caller
 * @param samples  number of samples the mean was taken over
 */
public record GradientResult(double loss, INDArray gradient, int samples) {}
