package io.flock.launcher;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingJob;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One recovery trial: a 3-node in-JVM cluster trains a small BSP job, one node is stopped
 * abruptly (it does not leave; the others must detect and down it), and the time from that
 * crash to the first step committed after the job re-synced is measured.
 */
final class RecoveryBenchmark {

    /** Which node to crash. */
    enum Scenario {
        /** A node with a worker and no shards. */
        WORKER,
        /** A node (not the coordinator's) hosting shard primaries. */
        SHARD,
        /** The oldest node, which runs the coordinator singleton (and a worker, no shards). */
        COORDINATOR
    }

    /** Failure-detector and downing timings. */
    enum Profile {
        /** Pekko's defaults: heartbeat 1 s, acceptable pause 3 s, SBR stable-after 20 s. */
        DEFAULTS("""
                pekko.cluster.failure-detector.heartbeat-interval = 1s
                pekko.cluster.failure-detector.acceptable-heartbeat-pause = 3s
                pekko.cluster.split-brain-resolver.stable-after = 20s
                pekko.cluster.sharding.retry-interval = 2s
                """),
        /** Flock's reference.conf: heartbeat 500 ms, acceptable pause 2 s, stable-after 5 s. */
        TUNED("");

        final Config config;

        Profile(String hocon) {
            this.config = ConfigFactory.parseString(hocon);
        }
    }

    private RecoveryBenchmark() {}

    /** Runs one trial; returns seconds from the crash to the first step committed after the re-sync. */
    static double trial(Scenario scenario, Profile profile, int trial) throws Exception {
        try (LocalCluster cluster = LocalCluster.create(profile.config)) {
            cluster.addNode(1, scenario == Scenario.SHARD); // oldest: the coordinator's node
            cluster.addNode(scenario == Scenario.WORKER ? 0 : 1, true);
            cluster.addNode(1, scenario != Scenario.WORKER);
            TrainingJob job = TrainingJob.builder().jobId("recovery-" + scenario.name().toLowerCase() + "-" + trial)
                    .model(ModelSpec.Mlp.fashionMnist(1)).dataset(DatasetSpec.Synthetic.fashionMnistShaped(3_000, 100, 1))
                    .globalBatch(60).microBatches(6).steps(400).shards(4).workers(1, 3).build();
            AtomicLong crashNanos = new AtomicLong(Long.MAX_VALUE);
            CompletableFuture<Void> warm = new CompletableFuture<>();
            CompletableFuture<Long> recovered = new CompletableFuture<>();
            boolean[] resynced = {false};
            int submitter = scenario == Scenario.COORDINATOR ? 1 : 0;
            JobHandle handle = cluster.node(submitter).submit(job, e -> {
                if (e instanceof TrainingEvent.StepCompleted s && s.step() >= 10) warm.complete(null);
                if (e instanceof TrainingEvent.MembershipChanged && System.nanoTime() > crashNanos.get()) resynced[0] = true;
                if (e instanceof TrainingEvent.StepCompleted && resynced[0]) recovered.complete(System.nanoTime());
            });
            warm.get(120, TimeUnit.SECONDS);
            int victim = switch (scenario) {
                case WORKER -> 2;
                case COORDINATOR -> 0;
                case SHARD -> nodeHostingPrimaries(cluster);
            };
            crashNanos.set(System.nanoTime());
            cluster.crash(victim);
            long done = recovered.get(180, TimeUnit.SECONDS);
            handle.result().toCompletableFuture().cancel(true);
            return (done - crashNanos.get()) / 1e9;
        }
    }

    private static int nodeHostingPrimaries(LocalCluster cluster) throws Exception {
        int i = cluster.nodeHostingShards();
        if (i < 0) throw new TimeoutException("no node but the coordinator's hosts a shard primary");
        return i;
    }
}
