package io.flock.tensor.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * An optimizer as a pure, element-wise update over a slice of the flat parameter vector.
 * Its state is a matrix [{@link #stateRows()}, sliceLength] (e.g. Adam's first and second
 * moments); a parameter shard owning parameters [a, b) owns columns [a, b) of the job's
 * [rows, n] state. Because every update is element-wise, applying it slice by slice over any
 * partition equals applying it to the whole vector: that is what lets a job move between
 * parameter shards and full replicas without changing its trajectory.
 */
public sealed interface OptimizerSpec {

    /** Rows of optimizer state per parameter (0 for plain SGD). */
    int stateRows();

    /**
     * Applies one update in place.
     *
     * @param params a parameter slice [len], updated in place
     * @param grad   the averaged gradient for that slice [len], not modified
     * @param state  the optimizer state of that slice [stateRows, len], updated in place
     * @param step   0-based global step being applied (Adam's bias correction uses step + 1)
     */
    void apply(INDArray params, INDArray grad, INDArray state, long step);

    /** Plain stochastic gradient descent: p -= lr·g. */
    record Sgd(double learningRate) implements OptimizerSpec {
        @Override
        public int stateRows() {
            return 0;
        }

        @Override
        public void apply(INDArray params, INDArray grad, INDArray state, long step) {
            params.subi(grad.mul(learningRate));
        }
    }

    /**
     * Heavy-ball or Nesterov momentum in the PyTorch form: v = μ·v + g; d = nesterov ? g + μ·v : v;
     * p -= lr·d.
     */
    record Momentum(double learningRate, double momentum, boolean nesterov) implements OptimizerSpec {
        @Override
        public int stateRows() {
            return 1;
        }

        @Override
        public void apply(INDArray params, INDArray grad, INDArray state, long step) {
            INDArray v = state.getRow(0);
            v.muli(momentum).addi(grad);
            INDArray d = nesterov ? grad.add(v.mul(momentum)) : v;
            params.subi(d.mul(learningRate));
        }
    }

    /**
     * Adam (Kingma and Ba, 2015, Algorithm 1): m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
     * p -= lr·m̂ / (√v̂ + ε) with bias-corrected m̂, v̂ at t = step + 1.
     */
    record Adam(double learningRate, double beta1, double beta2, double epsilon) implements OptimizerSpec {
        /** Adam with the usual β1 = 0.9, β2 = 0.999, ε = 1e-8. */
        public static Adam of(double learningRate) {
            return new Adam(learningRate, 0.9, 0.999, 1e-8);
        }

        @Override
        public int stateRows() {
            return 2;
        }

        @Override
        public void apply(INDArray params, INDArray grad, INDArray state, long step) {
            INDArray m = state.getRow(0);
            INDArray v = state.getRow(1);
            m.muli(beta1).addi(grad.mul(1 - beta1));
            v.muli(beta2).addi(grad.mul(grad).muli(1 - beta2));
            double t = step + 1;
            double mHatScale = 1.0 / (1 - Math.pow(beta1, t));
            double vHatScale = 1.0 / (1 - Math.pow(beta2, t));
            INDArray denom = Transforms.sqrt(v.mul(vHatScale), false).addi(epsilon);
            params.subi(m.mul(mHatScale * learningRate).divi(denom));
        }
    }
}
