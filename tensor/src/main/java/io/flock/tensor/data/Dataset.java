package io.flock.tensor.data;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An in-memory labelled dataset: float features [n, inputs] and integer labels in
 * [0, classes). Immutable after construction; {@link #batch(int[])} gathers rows into a fresh
 * {@link MiniBatch}, so many workers in one JVM may share one instance.
 */
public final class Dataset {

    private final String name;
    private final INDArray features;
    private final int[] labels;
    private final int classes;

    /**
     * @param name     where the data came from, used in messages
     * @param features float matrix [n, inputs]
     * @param labels   n labels, each in [0, classes)
     * @param classes  number of classes
     */
    public Dataset(String name, INDArray features, int[] labels, int classes) {
        if (features.rank() != 2) {
            throw new IllegalArgumentException(name + ": features must be a matrix [n, inputs], got shape "
                    + Arrays.toString(features.shape()));
        }
        if (features.rows() != labels.length) {
            throw new IllegalArgumentException(name + ": " + features.rows() + " feature rows but "
                    + labels.length + " labels");
        }
        this.name = name;
        this.features = features.castTo(DataType.FLOAT);
        this.labels = labels.clone();
        this.classes = classes;
    }

    public String name() {
        return name;
    }

    public int size() {
        return labels.length;
    }

    public int inputs() {
        return (int) features.columns();
    }

    public int classes() {
        return classes;
    }

    /** Label of sample {@code i}. */
    public int label(int i) {
        return labels[i];
    }

    /** The feature matrix; callers must not modify it. */
    public INDArray features() {
        return features;
    }

    /** Gathers the given sample indices, in order, into a new micro-batch. */
    public MiniBatch batch(int[] indices) {
        INDArray x = Nd4j.pullRows(features, 1, indices);
        INDArray y = Nd4j.zeros(DataType.FLOAT, indices.length, classes);
        for (int r = 0; r < indices.length; r++) {
            y.putScalar(r, labels[indices[r]], 1.0f);
        }
        return new MiniBatch(x, y);
    }

    /** All samples as one batch, in dataset order. */
    public MiniBatch all() {
        int[] idx = new int[size()];
        Arrays.setAll(idx, i -> i);
        return batch(idx);
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ", " + size() + " x " + inputs() + ", " + classes + " classes]";
    }
}
