package io.flock.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.flock.strategies.BspShardState.Outcome;
import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.Model;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class BspShardStateTest {

    static final OptimizerSpec SGD = new OptimizerSpec.Sgd(0.5);

    static BspShardState shard(int len, int microBatches) {
        return new BspShardState(Nd4j.zeros(DataType.FLOAT, len), Nd4j.zeros(DataType.FLOAT, 1, len), SGD,
                microBatches, 0);
    }

    static INDArray filled(int len, double v) {
        return Nd4j.valueArrayOf(new long[] {len}, v, DataType.FLOAT);
    }

    @Test
    void push_allMicroBatches_appliesTheMeanOnce() {
        BspShardState s = shard(4, 3);
        assertEquals(Outcome.STORED, s.push(0, 0, filled(4, 1)));
        assertEquals(Outcome.STORED, s.push(0, 2, filled(4, 3)));
        assertEquals(1, s.missingForNextStep());
        assertEquals(Outcome.APPLIED, s.push(0, 1, filled(4, 2)));
        assertEquals(1, s.version());
        assertEquals(filled(4, -0.5 * 2), s.params()); // mean gradient 2, lr 0.5
        assertEquals(List.of(0L), s.appliedSteps());
    }

    @Test
    void push_duplicateOrReplayedMicroBatch_changesNothing() {
        BspShardState s = shard(2, 2);
        s.push(0, 0, filled(2, 1));
        assertEquals(Outcome.DUPLICATE, s.push(0, 0, filled(2, 100)));
        s.push(0, 1, filled(2, 1));
        INDArray after = s.params().dup();
        assertEquals(Outcome.DUPLICATE, s.push(0, 1, filled(2, 100)));
        assertEquals(after, s.params());
        assertEquals(List.of(0L), s.appliedSteps());
    }

    @Test
    void push_futureStepBeforeCurrentCompletes_isBufferedAndAppliedInOrder() {
        BspShardState s = shard(2, 1);
        assertEquals(Outcome.STORED, s.push(1, 0, filled(2, 10)));
        assertEquals(0, s.version());
        assertEquals(Outcome.APPLIED, s.push(0, 0, filled(2, 2)));
        assertEquals(2, s.version());
        assertEquals(List.of(0L, 1L), s.appliedSteps());
        assertEquals(filled(2, -0.5 * 2 - 0.5 * 10), s.params());
    }

    @Test
    void paramsAt_servesCurrentAndPreviousVersionOnly() {
        BspShardState s = shard(2, 1);
        assertSame(s.params(), s.paramsAt(0));
        assertNull(s.paramsAt(1));
        s.push(0, 0, filled(2, 2));
        s.push(1, 0, filled(2, 2));
        assertEquals(filled(2, -1), s.paramsAt(1));
        assertEquals(filled(2, -2), s.paramsAt(2));
        assertNull(s.paramsAt(0));
    }

    @Test
    void restore_fromExport_continuesIdentically() {
        BspShardState a = shard(3, 2);
        BspShardState b = shard(3, 2);
        for (long t = 0; t < 3; t++) {
            for (int m = 0; m < 2; m++) {
                a.push(t, m, filled(3, t + m));
                b.push(t, m, filled(3, t + m));
            }
        }
        BspShardState restored = BspShardState.restore(b.export(), SGD, 2);
        assertEquals(a.version(), restored.version());
        assertEquals(a.paramsAt(2), restored.paramsAt(2), "one-version history carried over");
        assertEquals(a.appliedSteps(), restored.appliedSteps());
        a.push(3, 0, filled(3, 5));
        a.push(3, 1, filled(3, 6));
        restored.push(3, 1, filled(3, 6));
        restored.push(3, 0, filled(3, 5));
        assertEquals(a.params(), restored.params());
    }

    @Test
    void restore_midStep_carriesTheGradientsAlreadyHeld() {
        BspShardState a = shard(3, 3);
        a.push(0, 0, filled(3, 1));
        a.push(0, 2, filled(3, 3)); // waiting behind the missing micro-batch 1
        BspShardState replica = BspShardState.restore(a.export(), SGD, 3);
        assertEquals(BspShardState.Outcome.DUPLICATE, replica.push(0, 0, filled(3, 9)));
        assertEquals(BspShardState.Outcome.APPLIED, replica.push(0, 1, filled(3, 2)));
        a.push(0, 1, filled(3, 2));
        assertEquals(a.params(), replica.params());
        assertEquals(a.appliedSteps(), replica.appliedSteps());
    }

    @Test
    void push_wrongMicroBatchOrLength_isRejected() {
        BspShardState s = shard(3, 2);
        assertThrows(IllegalArgumentException.class, () -> s.push(0, 2, filled(3, 1)));
        assertThrows(IllegalArgumentException.class, () -> s.push(0, 0, filled(4, 1)));
    }

    /** Shards over any partition, fed in any arrival order, follow the reference loop exactly. */
    @Test
    void shardedPushesInRandomOrder_matchReferenceLoop() {
        Model model = new ModelSpec.Mlp(20, new int[] {16}, 4, 5).build();
        Dataset data = new DatasetSpec.Synthetic(256, 16, 20, 4, 9).loadTrain();
        BatchPlan plan = new BatchPlan(1, data.size(), 32, 4);
        OptimizerSpec adam = OptimizerSpec.Adam.of(0.01);
        ReferenceLoop reference = new ReferenceLoop(model, data, plan, adam);
        long[] bounds = {0, 17, 100, model.numParams()};
        INDArray init = model.initialParams();
        List<BspShardState> shards = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            long len = bounds[s + 1] - bounds[s];
            shards.add(new BspShardState(init.get(NDArrayIndex.interval(bounds[s], bounds[s + 1])).dup(),
                    Nd4j.zeros(DataType.FLOAT, 2, len), adam, plan.microBatches(), 0));
        }
        Random random = new Random(3);
        for (long t = 0; t < 10; t++) {
            INDArray params = Nd4j.concat(0, shards.stream().map(BspShardState::params).toArray(INDArray[]::new));
            List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3));
            Collections.shuffle(order, random);
            for (int m : order) {
                INDArray g = model.gradient(params, data.batch(plan.indices(t, m))).gradient();
                for (int s = 0; s < 3; s++) {
                    shards.get(s).push(t, m, g.get(NDArrayIndex.interval(bounds[s], bounds[s + 1])).dup());
                }
            }
        }
        INDArray distributed = Nd4j.concat(0, shards.stream().map(BspShardState::params).toArray(INDArray[]::new));
        INDArray expected = reference.run(10);
        double rel = distributed.sub(expected).norm2Number().doubleValue() / expected.norm2Number().doubleValue();
        assertEquals(0.0, rel, 1e-6);
    }
}
