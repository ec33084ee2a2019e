package io.flock.strategies;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The proof the actor wiring relies on: a job that switches between parameter server, ring and
 * tree at step boundaries — moving parameters, optimizer state and version, resetting nothing —
 * follows the single-process reference trajectory bit for bit.
 */
class SwitchEquivalenceTest {

    enum Mode { PS, RING, TREE }

    record Phase(Mode mode, int steps) {}

    static final Model MODEL = new ModelSpec.Mlp(12, new int[] {10}, 3, 5).build();
    static final Dataset DATA = new DatasetSpec.Synthetic(512, 16, 12, 3, 9).loadTrain();
    static final BatchPlan PLAN = new BatchPlan(1, DATA.size(), 32, 4);
    static final OptimizerSpec ADAM = OptimizerSpec.Adam.of(0.01);

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void psRingPs_20StepsEach_equalsReferenceAndPlainPs(int workers) {
        assertSameTrajectory(workers, List.of(new Phase(Mode.PS, 20), new Phase(Mode.RING, 20), new Phase(Mode.PS, 20)));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void ringThenTree_30StepsEach_equalsReferenceAndPlainPs(int workers) {
        assertSameTrajectory(workers, List.of(new Phase(Mode.RING, 30), new Phase(Mode.TREE, 30)));
    }

    private static void assertSameTrajectory(int workers, List<Phase> phases) {
        float[] reference = new ReferenceLoop(MODEL, DATA, PLAN, ADAM).run(60).toFloatVector();
        float[] plainPs = new SwitchingJob(workers).run(List.of(new Phase(Mode.PS, 60))).toFloatVector();
        float[] switched = new SwitchingJob(workers).run(phases).toFloatVector();
        assertEquals(0.0, relativeL2(switched, reference), 1e-5);
        assertArrayEquals(reference, plainPs, "plain PS-BSP is bit-identical to the reference");
        assertArrayEquals(reference, switched, "switching job is bit-identical to the reference");
    }

    private static double relativeL2(float[] a, float[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - b[i]) * (double) (a[i] - b[i]);
            norm += b[i] * (double) b[i];
        }
        return Math.sqrt(diff / norm);
    }

    /** A job over {@code workers} members that runs phases of PS-BSP (3 shards), ring or tree. */
    static final class SwitchingJob {
        final int workers;
        final long[] bounds;
        final Random random = new Random(11);
        List<BspShardState> shards = new ArrayList<>();
        List<Replica> replicas;
        long step;

        SwitchingJob(int workers) {
            this.workers = workers;
            long n = MODEL.numParams();
            this.bounds = new long[] {0, n / 3, 2 * n / 3 + 1, n};
            INDArray init = MODEL.initialParams();
            for (int s = 0; s < 3; s++) {
                var cols = NDArrayIndex.interval(bounds[s], bounds[s + 1]);
                shards.add(new BspShardState(init.get(cols).dup(), Nd4j.zeros(DataType.FLOAT, 2, bounds[s + 1] - bounds[s]),
                        ADAM, PLAN.microBatches(), 0));
            }
        }

        INDArray run(List<Phase> phases) {
            for (Phase phase : phases) {
                switchTo(phase.mode());
                for (int i = 0; i < phase.steps(); i++) {
                    if (phase.mode() == Mode.PS) psStep();
                    else peerStep(phase.mode());
                    step++;
                }
            }
            return shards != null ? Nd4j.concat(0, shards.stream().map(BspShardState::params).toArray(INDArray[]::new))
                    : replicas.get(0).params();
        }

        /** At a step boundary: PS → peers hands every member the full vectors; peers → PS seeds the shards. */
        void switchTo(Mode mode) {
            if (mode != Mode.PS && shards != null) {
                Replica r = Replica.fromShards(shards.stream().map(BspShardState::export).toList(), ADAM);
                replicas = new ArrayList<>();
                for (int w = 0; w < workers; w++) replicas.add(r.copy());
                shards = null;
            } else if (mode == Mode.PS && shards == null) {
                shards = replicas.get(random.nextInt(workers)).toShards(bounds).stream()
                        .map(e -> BspShardState.restore(e, ADAM, PLAN.microBatches())).toList();
                replicas = null;
                List<Long> expected = java.util.stream.LongStream.range(0, step).boxed().toList();
                for (BspShardState shard : shards) assertEquals(expected, shard.appliedSteps(), "log survives the switch");
            }
        }

        void psStep() {
            INDArray params = Nd4j.concat(0, shards.stream().map(BspShardState::params).toArray(INDArray[]::new));
            List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3));
            Collections.shuffle(order, random);
            for (int m : order) {
                INDArray g = gradient(params, m);
                for (int s = 0; s < 3; s++) shards.get(s).push(step, m, g.get(NDArrayIndex.interval(bounds[s], bounds[s + 1])).dup());
            }
        }

        void peerStep(Mode mode) {
            MicroBatchBlocks blocks = new MicroBatchBlocks(workers, PLAN.microBatches());
            List<INDArray> grads = new ArrayList<>();
            for (int m = 0; m < PLAN.microBatches(); m++) grads.add(gradient(replicas.get(blocks.holder(m)).params(), m));
            List<INDArray> means = new ArrayList<>();
            if (mode == Mode.RING) {
                RingSimulation.run(workers, 7, step, grads, step).forEach(member -> means.add(member.result()));
            } else {
                TreeReduceTest.simulate(workers, step, grads, step).forEach(member -> means.add(member.result()));
            }
            for (int w = 0; w < workers; w++) replicas.get(w).apply(step, means.get(w));
            for (Replica r : replicas) {
                assertArrayEquals(replicas.get(0).params().toFloatVector(), r.params().toFloatVector(), "replicas agree");
            }
        }

        INDArray gradient(INDArray params, int m) {
            return MODEL.gradient(params, DATA.batch(PLAN.indices(step, m))).gradient();
        }
    }
}
