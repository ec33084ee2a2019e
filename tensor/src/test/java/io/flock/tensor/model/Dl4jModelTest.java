package io.flock.tensor.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.data.MiniBatch;
import io.flock.tensor.optim.OptimizerSpec;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class Dl4jModelTest {

    private static final ModelSpec.Mlp TINY = new ModelSpec.Mlp(4, new int[] {3}, 2, 11);

    @Test
    void numParams_fashionMnistMlp_is235146() {
        assertEquals(235146, ModelSpec.Mlp.fashionMnist(1).build().numParams());
    }

    @Test
    void build_cnn_predictsProbabilitiesPerClass() {
        Model cnn = ModelSpec.Cnn.fashionMnist(3).build();
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 784);

        INDArray p = cnn.predict(cnn.initialParams(), x);

        assertArrayEquals(new long[] {2, 10}, p.shape());
        assertEquals(1.0, p.sum(1).getDouble(0), 1e-5);
        assertEquals(cnn.numParams(), cnn.initialParams().length());
    }

    @Test
    void initialParams_sameSpec_identical() {
        ModelSpec spec = new ModelSpec.Mlp(10, new int[] {8}, 3, 5);

        assertEquals(spec.build().initialParams(), spec.build().initialParams());
        assertNotEquals(spec.build().initialParams(), new ModelSpec.Mlp(10, new int[] {8}, 3, 6).build().initialParams());
    }

    @Test
    void gradient_doesNotModifyParams() {
        Model model = TINY.build();
        INDArray params = model.initialParams();
        INDArray before = params.dup();

        GradientResult result = model.gradient(params, batch(8, 1));

        assertEquals(before, params);
        assertEquals(model.numParams(), result.gradient().length());
        assertEquals(8, result.samples());
        assertTrue(result.gradient().norm2Number().doubleValue() > 0);
    }

    @Test
    void gradient_wrongLength_rejected() {
        Model model = TINY.build();

        assertThrows(IllegalArgumentException.class, () -> model.gradient(Nd4j.zeros(DataType.FLOAT, 3), batch(2, 1)));
    }

    @Test
    void gradient_largestCoordinates_matchCentralFiniteDifferences() {
        Model model = TINY.build();
        MiniBatch batch = batch(16, 2);
        INDArray params = model.initialParams();
        float[] grad = model.gradient(params, batch).gradient().toFloatVector();
        double eps = 1e-3;

        for (int i : largest(grad, 5)) {
            double up = lossAt(model, params, batch, i, eps);
            double down = lossAt(model, params, batch, i, -eps);
            double numeric = (up - down) / (2 * eps);
            assertEquals(numeric, grad[i], 1e-2 * Math.abs(numeric), "coordinate " + i);
        }
    }

    @Test
    void gradient_sgdSteps_reduceLoss() {
        Model model = TINY.build();
        MiniBatch batch = batch(32, 3);
        INDArray params = model.initialParams();
        double first = model.gradient(params, batch).loss();
        OptimizerSpec sgd = new OptimizerSpec.Sgd(0.5);

        for (int step = 0; step < 20; step++) {
            sgd.apply(params, model.gradient(params, batch).gradient(), null, step);
        }

        assertTrue(model.gradient(params, batch).loss() < 0.9 * first);
    }

    @Test
    void accuracy_isAFraction() {
        Model model = TINY.build();

        double acc = model.accuracy(model.initialParams(), batch(40, 4));

        assertTrue(acc >= 0 && acc <= 1, "accuracy " + acc);
    }

    private static double lossAt(Model model, INDArray params, MiniBatch batch, int i, double delta) {
        INDArray shifted = params.dup();
        shifted.putScalar(i, params.getDouble(i) + delta);
        return model.gradient(shifted, batch).loss();
    }

    private static int[] largest(float[] values, int k) {
        return IntStream.range(0, values.length).boxed()
                .sorted(Comparator.comparingDouble(i -> -Math.abs(values[i])))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    private static MiniBatch batch(int n, long seed) {
        return new DatasetSpec.Synthetic(n, 1, 4, 2, seed).loadTrain().all();
    }
}
