package io.flock.tensor.model;

import java.util.Arrays;

/**
 * A serializable description of a model; every node builds an identical {@link Model} from it,
 * so only the spec (never the network) travels with a job.
 */
public sealed interface ModelSpec {

    /** Builds the model; the same spec always yields the same initial parameters. */
    Model build();

    /** Number of input features per sample (flattened). */
    int inputs();

    /** Number of classes of the softmax output. */
    int classes();

    /** A fully connected ReLU network with a softmax cross-entropy output. */
    record Mlp(int inputs, int[] hidden, int classes, long seed) implements ModelSpec {
        public Mlp {
            if (inputs <= 0 || classes < 2) {
                throw new IllegalArgumentException("Mlp needs inputs > 0 and classes >= 2, got inputs="
                        + inputs + " classes=" + classes);
            }
            for (int h : hidden) {
                if (h <= 0) throw new IllegalArgumentException("Mlp hidden layer sizes must be > 0: " + Arrays.toString(hidden));
            }
            hidden = hidden.clone();
        }

        /** The MLP 784-256-128-10 used for (Fashion-)MNIST. */
        public static Mlp fashionMnist(long seed) {
            return new Mlp(784, new int[] {256, 128}, 10, seed);
        }

        @Override
        public int[] hidden() {
            return hidden.clone();
        }

        @Override
        public Model build() {
            return Dl4jModel.mlp(this);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Mlp m && m.inputs == inputs && m.classes == classes && m.seed == seed
                    && Arrays.equals(m.hidden, hidden);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(hidden) * 31 + Long.hashCode(seed) + inputs * 7 + classes;
        }

        @Override
        public String toString() {
            return "Mlp[" + inputs + "-" + Arrays.toString(hidden) + "-" + classes + ", seed=" + seed + "]";
        }
    }

    /** A small LeNet-style CNN for single-channel square images fed as flat vectors. */
    record Cnn(int side, int channels, int classes, long seed) implements ModelSpec {
        public Cnn {
            if (side < 4 || channels <= 0 || classes < 2) {
                throw new IllegalArgumentException("Cnn needs side >= 4, channels > 0, classes >= 2, got side="
                        + side + " channels=" + channels + " classes=" + classes);
            }
        }

        /** The 28x28x1 CNN for (Fashion-)MNIST. */
        public static Cnn fashionMnist(long seed) {
            return new Cnn(28, 1, 10, seed);
        }

        @Override
        public int inputs() {
            return side * side * channels;
        }

        @Override
        public Model build() {
            return Dl4jModel.cnn(this);
        }
    }
}
