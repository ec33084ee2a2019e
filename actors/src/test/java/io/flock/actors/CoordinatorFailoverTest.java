package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.api.TrainingEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The node running the coordinator singleton crashes mid-run. The singleton restarts on the
 * oldest survivor, adopts the job from the workers' assignments, re-syncs from the shards and
 * finishes on the fault-free trajectory. (The crashed node hosts no shards: shard replication
 * is separate work.)
 */
class CoordinatorFailoverTest {

    static final long STEPS = 60;

    LocalCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void coordinatorNodeCrashesMidRun_jobIsAdoptedAndEndsOnReferenceTrajectory() throws Exception {
        cluster = LocalCluster.create(ConfigFactory.empty());
        cluster.addNode(1, false); // oldest: hosts the coordinator singleton and a worker, no shards
        cluster.addNode(1, true);
        cluster.addNode(1, true);
        List<TrainingEvent> events = new CopyOnWriteArrayList<>();
        JobHandle handle = TestJobs.submitUntil(cluster, 1, TestJobs.job("failover", STEPS, 1, 3, 4), 15, events);
        cluster.crash(0);

        TestJobs.assertOnReferenceTrajectory(TestJobs.await(handle, events), events, 0, STEPS);
        assertTrue(TestJobs.eventsOf(events, TrainingEvent.MembershipChanged.class).stream()
                .anyMatch(m -> m.workers() == 2), "the adopted job went on with 2 workers: " + events);
    }
}
