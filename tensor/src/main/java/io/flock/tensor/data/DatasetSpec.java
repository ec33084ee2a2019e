package io.flock.tensor.data;

/**
 * Where a job's data comes from. Only the spec travels with a job; every node loads (and
 * validates) the data itself, so gradients never wait for a dataset transfer.
 */
public sealed interface DatasetSpec {

    /** Loads and validates the training split. */
    Dataset loadTrain();

    /** Loads and validates the test split. */
    Dataset loadTest();

    /**
     * MNIST-format IDX files in {@code dir}: train-images-idx3-ubyte, train-labels-idx1-ubyte,
     * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally gzipped (.gz). Pixels are
     * scaled to [0, 1].
     */
    record Idx(String dir) implements DatasetSpec {
        /** Where Debian's dataset-fashion-mnist package installs Fashion-MNIST. */
        public static final String DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

        @Override
        public Dataset loadTrain() {
            return IdxReader.load(dir, "train", 10);
        }

        @Override
        public Dataset loadTest() {
            return IdxReader.load(dir, "t10k", 10);
        }
    }

    /**
     * CSV files whose first column is the integer label and the rest float features; an
     * optional header line is skipped when its first field is not a number.
     */
    record Csv(String trainFile, String testFile, int classes) implements DatasetSpec {
        @Override
        public Dataset loadTrain() {
            return CsvReader.load(trainFile, classes);
        }

        @Override
        public Dataset loadTest() {
            return CsvReader.load(testFile, classes);
        }
    }

    /**
     * Deterministic, learnable Gaussian-cluster data generated from a seed: the same spec
     * yields the same samples on every node, so tests need no files.
     */
    record Synthetic(int trainSize, int testSize, int inputs, int classes, long seed) implements DatasetSpec {
        public Synthetic {
            if (trainSize <= 0 || testSize <= 0 || inputs <= 0 || classes < 2) {
                throw new IllegalArgumentException("Synthetic dataset needs positive sizes and >= 2 classes, got train="
                        + trainSize + " test=" + testSize + " inputs=" + inputs + " classes=" + classes);
            }
        }

        /** Small Fashion-MNIST-shaped data (784 inputs, 10 classes). */
        public static Synthetic fashionMnistShaped(int trainSize, int testSize, long seed) {
            return new Synthetic(trainSize, testSize, 784, 10, seed);
        }

        @Override
        public Dataset loadTrain() {
            return SyntheticData.generate(this, trainSize, 1);
        }

        @Override
        public Dataset loadTest() {
            return SyntheticData.generate(this, testSize, 2);
        }
    }
}
