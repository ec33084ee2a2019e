package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingJob;
import io.flock.actors.job.TrainingResult;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Flock's headline guarantee: under parameter-server BSP, a 3-node cluster ends with the same
 * parameters (relative L2 ≤ 1e-5) as the plain single-process loop over the same batch plan,
 * whatever the number of workers.
 */
class BspDeterminismTest {

    static final int STEPS = 50;

    static LocalCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = LocalCluster.start(3, 1, ConfigFactory.empty());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    @ParameterizedTest(name = "{0} worker(s)")
    @ValueSource(ints = {3, 2, 1})
    void psBsp_anyWorkerCount_matchesSingleProcessReference(int workers) throws Exception {
        TrainingJob job = TestJobs.job("determinism-" + workers, STEPS, workers, workers, 4);
        TestJobs.ReferenceRun reference = TestJobs.reference(STEPS);
        List<TrainingEvent> events = new CopyOnWriteArrayList<>();

        TrainingResult result = cluster.node(workers - 1).submit(job, events::add)
                .result().toCompletableFuture().get(180, TimeUnit.SECONDS);

        double relL2 = TestJobs.relativeL2(result.params(), reference.params());
        assertTrue(relL2 <= 1e-5, "relative L2 distance to the reference was " + relL2);
        TrainingEvent.Started started = (TrainingEvent.Started) events.get(0);
        assertEquals(workers, started.workers());
        List<TrainingEvent.StepCompleted> steps = TestJobs.eventsOf(events, TrainingEvent.StepCompleted.class);
        assertEquals(STEPS, steps.size());
        for (int i = 0; i < STEPS; i++) assertEquals(i, steps.get(i).step(), "steps reported in order, none missing");
        assertEquals(reference.firstLoss(), steps.get(0).loss(), 1e-5);
        assertEquals(reference.lastLoss(), steps.get(STEPS - 1).loss(), 1e-4);
        assertTrue(steps.get(STEPS - 1).loss() < steps.get(0).loss() * 0.5, "loss decreases");
        assertTrue(result.testAccuracy() > 0.5, "test accuracy " + result.testAccuracy());
    }
}
