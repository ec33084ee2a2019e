package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A node holding shard primaries (and backups of others) crashes or leaves gracefully (the
 * SIGTERM path) mid-run. Sharding re-creates its primaries on the survivors, each recovers the
 * state its backup acknowledged, the job re-syncs and ends on the fault-free trajectory; the
 * final evaluation checks that every shard applied each step exactly once.
 */
class ShardFailoverTest {

    static final long STEPS = 60;

    /** How the shard node goes away. */
    enum Departure { CRASH, LEAVE }

    LocalCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Departure.class)
    void nodeWithShardPrimariesGoes_backupsTakeOver_trajectoryUnchanged(Departure departure) throws Exception {
        cluster = LocalCluster.start(3, 1, ConfigFactory.empty());
        List<TrainingEvent> events = new CopyOnWriteArrayList<>();
        String jobId = "shard-" + departure.name().toLowerCase();
        TestJobs.pace(cluster);
        JobHandle handle = TestJobs.submitUntil(cluster, 0, TestJobs.job(jobId, STEPS, 1, 3, 6), 15, events);
        int node = cluster.nodeHostingShards();
        assertTrue(node > 0, "a node other than the coordinator's hosts shard primaries");
        if (departure == Departure.CRASH) cluster.crash(node);
        else cluster.leave(node);

        TestJobs.assertOnReferenceTrajectory(TestJobs.await(handle, events), events, 0, STEPS);
        assertTrue(TestJobs.eventsOf(events, TrainingEvent.MembershipChanged.class).size() >= 1, "the job re-synced");
    }
}
