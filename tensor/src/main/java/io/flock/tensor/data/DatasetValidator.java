package io.flock.tensor.data;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * Schema checks every dataset must pass before training, in the spirit of TensorFlow Data
 * Validation: at least one sample, every feature finite, every label in [0, classes). Readers
 * call it with an {@link Origin} so that an error points into the source file.
 */
public final class DatasetValidator {

    /** Says where a value of the source came from, e.g. "file f line 7 column 3". */
    @FunctionalInterface
    public interface Origin {
        /**
         * @param row sample index
         * @param col feature index, or {@link #LABEL} for the sample's label
         */
        String describe(int row, int col);
    }

    /** Column index that {@link Origin#describe} receives for a label. */
    public static final int LABEL = -1;

    private DatasetValidator() {}

    /** Validates any dataset; throws {@link DatasetException} describing the first anomaly. */
    public static void validate(Dataset dataset) {
        int[] labels = new int[dataset.size()];
        for (int i = 0; i < labels.length; i++) labels[i] = dataset.label(i);
        float[] x = dataset.size() == 0 ? new float[0]
                : dataset.features().dup('c').castTo(DataType.FLOAT).data().asFloat();
        String name = dataset.name();
        check(name, x, dataset.inputs(), labels, dataset.classes(),
                (row, col) -> name + " sample " + row + (col == LABEL ? " label" : " feature " + col));
    }

    /** Validates raw row-major features [labels.length, cols] and labels, before they become a {@link Dataset}. */
    static void check(String name, float[] features, int cols, int[] labels, int classes, Origin origin) {
        if (labels.length == 0) throw new DatasetException(name + ": dataset has no samples");
        if (cols <= 0) throw new DatasetException(name + ": samples have no features");
        if (classes < 2) throw new DatasetException(name + ": needs at least 2 classes, got " + classes);
        checkLabels(labels, classes, origin);
        checkFinite(features, cols, origin);
    }

    private static void checkLabels(int[] labels, int classes, Origin origin) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new DatasetException(origin.describe(i, LABEL) + ": label " + labels[i]
                        + " out of range [0, " + classes + ")");
            }
        }
    }

    private static void checkFinite(float[] features, int cols, Origin origin) {
        for (int k = 0; k < features.length; k++) {
            if (!Float.isFinite(features[k])) {
                throw new DatasetException(origin.describe(k / cols, k % cols) + ": feature value "
                        + features[k] + " is not finite");
            }
        }
    }
}
