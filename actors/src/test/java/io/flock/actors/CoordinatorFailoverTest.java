package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import io.flock.strategies.Strategy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The node running the coordinator singleton (and a worker) crashes mid-run. The singleton
 * restarts on the oldest survivor, adopts the job from the workers' assignments, re-syncs (from
 * the shards under ps-bsp, from the newest surviving replica under ring) and finishes on the
 * fault-free trajectory. (The crashed node hosts no shards: shard replication
 * is separate work.)
 */
class CoordinatorFailoverTest {

    static final long STEPS = 60;

    LocalCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"PS_BSP", "RING"})
    void coordinatorNodeCrashesMidRun_jobIsAdoptedAndEndsOnReferenceTrajectory(Strategy strategy) throws Exception {
        cluster = LocalCluster.create(ConfigFactory.empty());
        cluster.addNode(1, false); // oldest: hosts the coordinator singleton and a worker, no shards
        cluster.addNode(1, true);
        cluster.addNode(1, true);
        List<TrainingEvent> events = new CopyOnWriteArrayList<>();
        TestJobs.pace(cluster);
        JobHandle handle = TestJobs.submitUntil(cluster, 1, TestJobs.job("failover", STEPS, 1, 3, 4, strategy), 15,
                events);
        cluster.crash(0);

        TestJobs.assertOnReferenceTrajectory(TestJobs.await(handle, events), events, 0, STEPS);
        assertTrue(TestJobs.eventsOf(events, TrainingEvent.MembershipChanged.class).stream()
                .anyMatch(m -> m.workers() == 2), "the adopted job went on with 2 workers: " + events);
    }
}
