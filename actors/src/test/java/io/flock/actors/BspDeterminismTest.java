package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.api.TrainingEvent;
import io.flock.actors.api.TrainingJob;
import io.flock.actors.api.TrainingResult;
import io.flock.strategies.ReferenceLoop;
import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Flock's headline guarantee: under parameter-server BSP, a 3-node cluster ends with the same
 * parameters (relative L2 ≤ 1e-5) as the plain single-process loop over the same batch plan,
 * whatever the number of workers.
 */
class BspDeterminismTest {

    static final ModelSpec MODEL = ModelSpec.Mlp.fashionMnist(7);
    static final DatasetSpec DATA = DatasetSpec.Synthetic.fashionMnistShaped(600, 100, 11);
    static final OptimizerSpec OPTIMIZER = OptimizerSpec.Adam.of(1e-3);
    static final int BATCH = 60;
    static final int MICRO_BATCHES = 6;
    static final int STEPS = 50;
    static final long SEED = 3;

    static LocalCluster cluster;
    static INDArray reference;
    static double referenceFirstLoss;
    static double referenceLastLoss;

    @BeforeAll
    static void startClusterAndReference() throws Exception {
        cluster = LocalCluster.start(3, 1, ConfigFactory.empty());
        Dataset train = DATA.loadTrain();
        ReferenceLoop loop = new ReferenceLoop(MODEL.build(), train,
                new BatchPlan(SEED, train.size(), BATCH, MICRO_BATCHES), OPTIMIZER);
        referenceFirstLoss = loop.step();
        loop.run(STEPS - 1);
        referenceLastLoss = loop.lastLoss();
        reference = loop.params().dup();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    @ParameterizedTest(name = "{0} worker(s)")
    @ValueSource(ints = {3, 2, 1})
    void psBsp_anyWorkerCount_matchesSingleProcessReference(int workers) throws Exception {
        TrainingJob job = TrainingJob.builder()
                .jobId("determinism-" + workers)
                .model(MODEL).dataset(DATA).optimizer(OPTIMIZER)
                .globalBatch(BATCH).microBatches(MICRO_BATCHES).steps(STEPS).seed(SEED)
                .shards(4).workers(workers, workers)
                .build();
        List<TrainingEvent> events = new CopyOnWriteArrayList<>();

        TrainingResult result = cluster.node(workers - 1).submit(job, events::add)
                .result().toCompletableFuture().get(180, TimeUnit.SECONDS);

        double relL2 = result.params().sub(reference).norm2Number().doubleValue()
                / reference.norm2Number().doubleValue();
        assertTrue(relL2 <= 1e-5, "relative L2 distance to the reference was " + relL2);
        TrainingEvent.Started started = (TrainingEvent.Started) events.get(0);
        assertEquals(workers, started.workers());
        List<TrainingEvent.StepCompleted> steps = events.stream()
                .filter(TrainingEvent.StepCompleted.class::isInstance).map(TrainingEvent.StepCompleted.class::cast)
                .toList();
        assertEquals(STEPS, steps.size());
        for (int i = 0; i < STEPS; i++) assertEquals(i, steps.get(i).step(), "steps reported in order, none missing");
        assertEquals(referenceFirstLoss, steps.get(0).loss(), 1e-5);
        assertEquals(referenceLastLoss, steps.get(STEPS - 1).loss(), 1e-4);
        assertTrue(steps.get(STEPS - 1).loss() < steps.get(0).loss() * 0.5, "loss decreases");
        assertTrue(result.testAccuracy() > 0.5, "test accuracy " + result.testAccuracy());
    }
}
