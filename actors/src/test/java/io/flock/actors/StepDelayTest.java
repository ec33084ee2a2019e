package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.LocalCluster;
import io.flock.strategies.Strategy;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link io.flock.actors.worker.Worker.SetStepDelay} (through {@code FlockNode.setStepDelay}) makes
 * a worker a straggler under the BSP strategies too: every step waits for it, and the trajectory
 * does not change. (Under ps-ssp and ps-asp: {@link SspTrainingTest}.)
 */
class StepDelayTest {

    static final long STEPS = 10;
    static final Duration DELAY = Duration.ofMillis(200);

    LocalCluster cluster;
    final List<TrainingEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Strategy.class, names = {"PS_BSP", "RING"})
    void slowWorker_everyStepWaitsForIt_trajectoryUnchanged(Strategy strategy) throws Exception {
        cluster = LocalCluster.start(2, 1, ConfigFactory.empty());
        assertEquals(1, cluster.node(1).setStepDelay(DELAY).toCompletableFuture().get(10, TimeUnit.SECONDS));

        TrainingResult result = TestJobs.await(cluster.node(0).submit(
                TestJobs.job("delay-" + strategy.id(), STEPS, 2, 2, 2, strategy), events::add), events);

        assertTrue(result.elapsedMillis() >= STEPS * DELAY.toMillis(),
                "each of the " + STEPS + " steps waited for the slowed worker: " + result.elapsedMillis() + " ms");
        TestJobs.assertOnReferenceTrajectory(result, events, 0, STEPS);
    }
}
