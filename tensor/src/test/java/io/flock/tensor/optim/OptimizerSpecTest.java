package io.flock.tensor.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class OptimizerSpecTest {

    private static final int N = 1000;
    private static final int STEPS = 5;

    static Stream<OptimizerSpec> optimizers() {
        return Stream.of(new OptimizerSpec.Sgd(0.1), new OptimizerSpec.Momentum(0.1, 0.9, false),
                new OptimizerSpec.Momentum(0.1, 0.9, true), OptimizerSpec.Adam.of(0.01));
    }

    @ParameterizedTest
    @MethodSource("optimizers")
    void apply_slicewiseOverRandomPartition_equalsWholeVector(OptimizerSpec opt) {
        Random rnd = new Random(7);
        INDArray whole = Nd4j.rand(DataType.FLOAT, N);
        INDArray wholeState = state(opt, N);
        int[] bounds = randomPartition(rnd);
        INDArray[] params = new INDArray[bounds.length - 1];
        INDArray[] states = new INDArray[bounds.length - 1];
        for (int s = 0; s < params.length; s++) {
            params[s] = whole.get(NDArrayIndex.interval(bounds[s], bounds[s + 1])).dup();
            states[s] = state(opt, bounds[s + 1] - bounds[s]);
        }
        for (int step = 0; step < STEPS; step++) {
            INDArray grad = Nd4j.randn(DataType.FLOAT, N);
            opt.apply(whole, grad, wholeState, step);
            for (int s = 0; s < params.length; s++) {
                opt.apply(params[s], grad.get(NDArrayIndex.interval(bounds[s], bounds[s + 1])).dup(), states[s], step);
            }
        }
        for (int s = 0; s < params.length; s++) {
            assertClose(whole.get(NDArrayIndex.interval(bounds[s], bounds[s + 1])), params[s]);
        }
    }

    @ParameterizedTest
    @MethodSource("optimizers")
    void apply_onColumnViewsOfSharedState_equalsWholeVector(OptimizerSpec opt) {
        INDArray whole = Nd4j.rand(DataType.FLOAT, N);
        INDArray wholeState = state(opt, N);
        INDArray sharded = whole.dup();
        INDArray shardedState = state(opt, N);
        for (int step = 0; step < STEPS; step++) {
            INDArray grad = Nd4j.randn(DataType.FLOAT, N);
            opt.apply(whole, grad, wholeState, step);
            applyOn(opt, sharded, grad, shardedState, 0, 400, step);
            applyOn(opt, sharded, grad, shardedState, 400, N, step);
        }
        assertClose(whole, sharded);
        if (opt.stateRows() > 0) assertClose(wholeState, shardedState);
    }

    @Test
    void apply_adamFirstStep_movesBySignTimesLearningRate() {
        INDArray p = Nd4j.createFromArray(1f, 2f, -3f, 0.5f);
        INDArray g = Nd4j.createFromArray(0.3f, -0.02f, 5f, -1e-3f);
        OptimizerSpec.Adam adam = OptimizerSpec.Adam.of(0.01);

        adam.apply(p, g, Nd4j.zeros(DataType.FLOAT, 2, 4), 0);

        float[] expected = {1f - 0.01f, 2f + 0.01f, -3f - 0.01f, 0.5f + 0.01f};
        for (int i = 0; i < 4; i++) assertEquals(expected[i], p.getFloat(i), 1e-6);
    }

    @Test
    void apply_momentumTwoSteps_matchesHandComputation() {
        INDArray plain = Nd4j.createFromArray(1f);
        INDArray nesterov = Nd4j.createFromArray(1f);
        INDArray plainState = Nd4j.zeros(DataType.FLOAT, 1, 1);
        INDArray nesterovState = Nd4j.zeros(DataType.FLOAT, 1, 1);
        OptimizerSpec.Momentum heavyBall = new OptimizerSpec.Momentum(0.1, 0.5, false);
        OptimizerSpec.Momentum nag = new OptimizerSpec.Momentum(0.1, 0.5, true);
        for (int step = 0; step < 2; step++) {
            heavyBall.apply(plain, Nd4j.createFromArray(2f), plainState, step);
            nag.apply(nesterov, Nd4j.createFromArray(2f), nesterovState, step);
        }
        // heavy ball: v = 2, 3; p = 1 - 0.2 - 0.3. Nesterov: d = 2 + 1, 2 + 1.5; p = 1 - 0.3 - 0.35.
        assertEquals(0.5f, plain.getFloat(0), 1e-6);
        assertEquals(0.35f, nesterov.getFloat(0), 1e-6);
    }

    @Test
    void apply_sgd_subtractsScaledGradientAndLeavesGradient() {
        INDArray p = Nd4j.createFromArray(1f, 2f);
        INDArray g = Nd4j.createFromArray(0.5f, -1f);

        new OptimizerSpec.Sgd(0.1).apply(p, g, Nd4j.create(DataType.FLOAT, 0, 2), 0);

        assertEquals(0.95f, p.getFloat(0), 1e-7);
        assertEquals(2.1f, p.getFloat(1), 1e-7);
        assertEquals(Nd4j.createFromArray(0.5f, -1f), g);
    }

    private static void applyOn(OptimizerSpec opt, INDArray params, INDArray grad, INDArray state, int a, int b,
                                long step) {
        INDArray stateView = opt.stateRows() == 0 ? state : state.get(NDArrayIndex.all(), NDArrayIndex.interval(a, b));
        opt.apply(params.get(NDArrayIndex.interval(a, b)), grad.get(NDArrayIndex.interval(a, b)), stateView, step);
    }

    private static INDArray state(OptimizerSpec opt, int len) {
        return opt.stateRows() == 0 ? Nd4j.create(DataType.FLOAT, 0, len) : Nd4j.zeros(DataType.FLOAT, opt.stateRows(), len);
    }

    /** Random cut points 0 = b0 < b1 < ... < bk = N. */
    private static int[] randomPartition(Random rnd) {
        TreeSet<Integer> cuts = new TreeSet<>();
        cuts.add(0);
        cuts.add(N);
        while (cuts.size() < 7) cuts.add(1 + rnd.nextInt(N - 1));
        return cuts.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void assertClose(INDArray expected, INDArray actual) {
        float[] e = expected.dup().data().asFloat();
        float[] a = actual.dup().data().asFloat();
        assertEquals(e.length, a.length);
        for (int i = 0; i < e.length; i++) {
            double tol = 1e-6 * Math.max(1.0, Math.abs(e[i]));
            int at = i;
            assertTrue(Math.abs(e[i] - a[i]) <= tol, () -> "element " + at + ": expected " + e[at] + " but was " + a[at]);
        }
    }
}
