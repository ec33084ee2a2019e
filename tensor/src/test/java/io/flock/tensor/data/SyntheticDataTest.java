package io.flock.tensor.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.tensor.model.Model;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SyntheticDataTest {

    private static final DatasetSpec.Synthetic SPEC = new DatasetSpec.Synthetic(2000, 500, 20, 4, 9);

    @Test
    void generate_sameSpec_identicalData() {
        Dataset a = SPEC.loadTrain();
        Dataset b = new DatasetSpec.Synthetic(2000, 500, 20, 4, 9).loadTrain();

        assertEquals(a.features(), b.features());
        for (int i = 0; i < a.size(); i++) assertEquals(a.label(i), b.label(i));
    }

    @Test
    void generate_trainAndTest_differ() {
        Dataset train = SPEC.loadTrain();
        Dataset test = SPEC.loadTest();

        assertEquals(500, test.size());
        assertNotEquals(train.features().getRow(0), test.features().getRow(0));
    }

    @Test
    void generate_passesValidation() {
        DatasetValidator.validate(SPEC.loadTrain());
    }

    @Test
    void training_mlpWithAdam_reachesHighTestAccuracy() {
        Dataset train = SPEC.loadTrain();
        Model model = new ModelSpec.Mlp(20, new int[] {16}, 4, 1).build();
        OptimizerSpec adam = OptimizerSpec.Adam.of(0.01);
        INDArray params = model.initialParams();
        INDArray state = Nd4j.zeros(DataType.FLOAT, adam.stateRows(), model.numParams());
        BatchPlan plan = new BatchPlan(3, train.size(), 50, 1);

        for (long step = 0; step < 300; step++) {
            adam.apply(params, model.gradient(params, train.batch(plan.indices(step, 0))).gradient(), state, step);
        }

        double accuracy = model.accuracy(params, SPEC.loadTest().all());
        assertTrue(accuracy > 0.8, "test accuracy " + accuracy);
    }
}
