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
 * A node holding shard primaries (and backups of others) crashes mid-run. Sharding re-creates
 * its primaries on the survivors, each recovers the state its backup acknowledged, the job
 * re-syncs and ends on the fault-free trajectory; the final evaluation checks that every shard
 * applied each step exactly once.
 */
class ShardFailoverTest {

    static final long STEPS = 60;

    LocalCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void nodeWithShardPrimariesCrashes_backupsTakeOver_trajectoryUnchanged() throws Exception {
        cluster = LocalCluster.start(3, 1, ConfigFactory.empty());
        List<TrainingEvent> events = new CopyOnWriteArrayList<>();
        JobHandle handle = TestJobs.submitUntil(cluster, 0, TestJobs.job("shardcrash", STEPS, 1, 3, 6), 15, events);
        int victim = cluster.nodeHostingShards();
        assertTrue(victim > 0, "a node other than the coordinator's hosts shard primaries");
        cluster.crash(victim);

        TestJobs.assertOnReferenceTrajectory(TestJobs.await(handle, events), events, 0, STEPS);
        assertTrue(TestJobs.eventsOf(events, TrainingEvent.MembershipChanged.class).size() >= 1, "the job re-synced");
    }

    /** SIGTERM's path: a shard node leaves gracefully; its primaries move with their state (via the backups). */
    @Test
    void nodeWithShardPrimariesLeavesGracefully_stateMovesWithThem_trajectoryUnchanged() throws Exception {
        cluster = LocalCluster.start(3, 1, ConfigFactory.empty());
        List<TrainingEvent> events = new CopyOnWriteArrayList<>();
        JobHandle handle = TestJobs.submitUntil(cluster, 0, TestJobs.job("shardleave", STEPS, 1, 3, 6), 15, events);
        int leaver = cluster.nodeHostingShards();
        assertTrue(leaver > 0, "a node other than the coordinator's hosts shard primaries");
        cluster.leave(leaver);

        TestJobs.assertOnReferenceTrajectory(TestJobs.await(handle, events), events, 0, STEPS);
    }
}
