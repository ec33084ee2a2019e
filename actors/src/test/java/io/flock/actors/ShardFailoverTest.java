package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.api.TrainingEvent;
import io.flock.actors.api.TrainingResult;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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

    /** Index of a node other than the oldest (the coordinator's) that hosts shard primaries. */
    private int nodeHostingPrimaries() throws Exception {
        var stats = org.apache.pekko.actor.typed.javadsl.AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery,
                        org.apache.pekko.cluster.sharding.ShardRegion.ClusterShardingStats>ask(
                        org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(cluster.node(0).system()).shardState(),
                        replyTo -> new org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats(
                                io.flock.actors.shard.ParameterShard.TYPE_KEY, java.time.Duration.ofSeconds(5), replyTo),
                        java.time.Duration.ofSeconds(10), cluster.node(0).system().scheduler())
                .toCompletableFuture().get(15, TimeUnit.SECONDS);
        for (int i = cluster.nodes().size() - 1; i >= 1; i--) {
            var region = stats.getRegions().get(cluster.node(i).address());
            if (region != null && !region.getStats().isEmpty()) return i;
        }
        throw new AssertionError("no node but the coordinator's hosts a shard primary: " + stats);
    }

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void nodeWithShardPrimariesCrashes_backupsTakeOver_trajectoryUnchanged() throws Exception {
        cluster = LocalCluster.start(3, 1, ConfigFactory.empty());
        List<TrainingEvent> events = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> atStep = new CompletableFuture<>();

        JobHandle handle = cluster.node(0).submit(TestJobs.job("shardcrash", STEPS, 1, 3, 6), e -> {
            events.add(e);
            if (e instanceof TrainingEvent.StepCompleted s && s.step() >= 15) atStep.complete(null);
        });
        atStep.get(120, TimeUnit.SECONDS);
        int victim = nodeHostingPrimaries();
        cluster.crash(victim);

        TrainingResult result;
        try {
            result = handle.result().toCompletableFuture().get(120, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no result 120 s after the crash; last events: "
                    + events.subList(Math.max(0, events.size() - 4), events.size()), e);
        }
        double rel = TestJobs.relativeL2(result.params(), TestJobs.reference(STEPS).params());
        assertTrue(rel <= 1e-5, "relative L2 to the fault-free reference: " + rel);
        List<TrainingEvent.StepCompleted> steps = TestJobs.eventsOf(events, TrainingEvent.StepCompleted.class);
        assertEquals(STEPS, steps.size());
        for (int i = 0; i < STEPS; i++) assertEquals(i, steps.get(i).step());
        assertTrue(TestJobs.eventsOf(events, TrainingEvent.MembershipChanged.class).size() >= 1, "the job re-synced");
    }
}
