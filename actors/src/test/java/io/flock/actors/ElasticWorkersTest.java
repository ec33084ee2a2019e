package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import io.flock.strategies.Strategy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * BSP under worker churn, with the parameter server and with ring all-reduce: a worker node
 * that crashes mid-run, one that joins, one that leaves. Each run must end on the fault-free
 * single-process trajectory (relative L2 ≤ 1e-5), with every step reported once and in order,
 * and the shards' applied-step logs (checked by the final evaluation) holding every step once.
 * The nodes that come and go host no shards ({@code flock.node.host-shards = off}); shard
 * failures are {@link ShardFailoverTest}'s.
 */
class ElasticWorkersTest {

    static final long STEPS = 60;

    LocalCluster cluster;
    final List<TrainingEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"PS_BSP", "RING"})
    void workerNodeCrashesMidRun_survivorsTakeOverItsMicroBatches(Strategy strategy) throws Exception {
        cluster = LocalCluster.start(2, 1, ConfigFactory.empty());
        cluster.addNode(1, false);
        TestJobs.pace(cluster);
        var result = TestJobs.submitUntil(cluster, 0, TestJobs.job("crash", STEPS, 1, 3, 4, strategy), 15, events);
        cluster.crash(2);

        TestJobs.assertOnReferenceTrajectory(TestJobs.await(result, events), events, 0, STEPS);
        assertFalse(events.stream().anyMatch(TrainingEvent.Failed.class::isInstance));
        assertTrue(TestJobs.eventsOf(events, TrainingEvent.MembershipChanged.class).stream()
                .anyMatch(m -> m.workers() == 2), "the job went on with the 2 survivors: " + events);
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"PS_BSP", "RING"})
    void nodeJoinsMidRun_takesPartFromTheNextBoundary(Strategy strategy) throws Exception {
        cluster = LocalCluster.start(2, 1, ConfigFactory.empty());
        TestJobs.pace(cluster);
        var result = TestJobs.submitUntil(cluster, 0, TestJobs.job("join", STEPS, 1, 3, 4, strategy), 20, events);
        cluster.addNode(1, false);

        TestJobs.assertOnReferenceTrajectory(TestJobs.await(result, events), events, 0, STEPS);
        assertFalse(events.stream().anyMatch(TrainingEvent.Failed.class::isInstance));
        assertTrue(TestJobs.eventsOf(events, TrainingEvent.MembershipChanged.class).stream()
                .anyMatch(m -> m.workers() == 3), "the joiner took part: " + events);
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"PS_BSP", "RING"})
    void nodeLeavesGracefullyMidRun_jobGoesOnWithoutIt(Strategy strategy) throws Exception {
        cluster = LocalCluster.start(2, 1, ConfigFactory.empty());
        cluster.addNode(1, false);
        TestJobs.pace(cluster);
        var result = TestJobs.submitUntil(cluster, 0, TestJobs.job("leave", STEPS, 1, 3, 4, strategy), 30, events);
        cluster.leave(2);

        TestJobs.assertOnReferenceTrajectory(TestJobs.await(result, events), events, 0, STEPS);
        assertFalse(events.stream().anyMatch(TrainingEvent.Failed.class::isInstance));
        assertTrue(TestJobs.eventsOf(events, TrainingEvent.MembershipChanged.class).stream()
                .anyMatch(m -> m.workers() == 2), "the job went on with 2 workers: " + events);
    }

}
