package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingJob;
import io.flock.actors.job.TrainingResult;
import io.flock.actors.checkpoint.CheckpointResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Full stop and resume: a cluster trains, writes checkpoints and is stopped entirely; a new
 * cluster resumes the job from the newest valid checkpoint (skipping a corrupt one) and ends on
 * the fault-free trajectory, with every step applied exactly once overall (the shards' logs
 * are checked from the resumed step by the final evaluation).
 */
class CheckpointResumeTest {

    static final long STEPS = 60;

    @TempDir
    Path dir;

    Config config() {
        return ConfigFactory.parseString("flock.checkpoint.dir = \"" + dir + "\"");
    }

    @Test
    void wholeClusterStopped_resumeFromNewestCheckpoint_endsOnReferenceTrajectory() throws Exception {
        TrainingJob job = TestJobs.job("resume", STEPS, 1, 2, 3).toBuilder().checkpointEvery(20).build();
        trainUntilCheckpoint(job, 40);

        List<TrainingEvent> events = new CopyOnWriteArrayList<>();
        TrainingResult result = resumeOnNewCluster(job, events);

        TrainingEvent.Restored restored = TestJobs.eventsOf(events, TrainingEvent.Restored.class).get(0);
        assertTrue(restored.step() >= 40, "resumed from the newest checkpoint: " + restored);
        assertOnReference(result, events, restored.step());
    }

    @Test
    void newestCheckpointCorrupt_resumesFromThePreviousOne() throws Exception {
        TrainingJob job = TestJobs.job("corrupt", STEPS, 1, 2, 3).toBuilder().checkpointEvery(20).build();
        trainUntilCheckpoint(job, 40);
        Path newest = dir.resolve("corrupt-000000000040.ckpt");
        byte[] bytes = Files.readAllBytes(newest);
        Files.write(newest, java.util.Arrays.copyOf(bytes, bytes.length / 2));

        List<TrainingEvent> events = new CopyOnWriteArrayList<>();
        TrainingResult result = resumeOnNewCluster(job, events);

        TrainingEvent.Restored restored = TestJobs.eventsOf(events, TrainingEvent.Restored.class).get(0);
        assertEquals(20, restored.step());
        assertEquals(1, restored.rejected().length);
        assertTrue(restored.rejected()[0].contains("corrupt-000000000040.ckpt") && restored.rejected()[0].contains("truncated"),
                restored.rejected()[0]);
        assertOnReference(result, events, 20);
    }

    @Test
    void checkpointNow_writesAtTheNextStepBoundary() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(1, 1, config())) {
            CompletableFuture<Void> started = new CompletableFuture<>();
            var handle = cluster.node(0).submit(TestJobs.job("ondemand", STEPS, 1, 1, 2), e -> {
                if (e instanceof TrainingEvent.StepCompleted) started.complete(null);
            });
            started.get(60, TimeUnit.SECONDS);
            CheckpointResult r = cluster.node(0).checkpointNow("ondemand", Duration.ofSeconds(60))
                    .toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertTrue(r.ok(), r.error());
            assertTrue(Files.exists(Path.of(r.path())), r.path());
            handle.result().toCompletableFuture().get(120, TimeUnit.SECONDS);
        }
    }

    /**
     * Trains on a 2-node cluster until the checkpoint after {@code step} exists, then stops every
     * node before the job's end: paced steps leave seconds between that checkpoint and the end, and
     * a long step delay set once it is written holds the job there until the nodes are gone.
     */
    private void trainUntilCheckpoint(TrainingJob job, long step) throws Exception {
        CompletableFuture<Void> written = new CompletableFuture<>();
        List<TrainingEvent.StepCompleted> steps = new CopyOnWriteArrayList<>();
        try (LocalCluster cluster = LocalCluster.start(2, 1, config())) {
            TestJobs.pace(cluster);
            cluster.node(0).submit(job, e -> {
                if (e instanceof TrainingEvent.StepCompleted s) steps.add(s);
                if (e instanceof TrainingEvent.CheckpointWritten c && c.step() >= step) written.complete(null);
            });
            written.get(120, TimeUnit.SECONDS);
            TestJobs.hold(cluster);
        }
        long last = steps.stream().mapToLong(TrainingEvent.StepCompleted::step).max().orElse(-1);
        assertTrue(last < STEPS - 1, "the cluster stopped before the job's last step, at step " + last);
    }

    private TrainingResult resumeOnNewCluster(TrainingJob job, List<TrainingEvent> events) throws Exception {
        try (LocalCluster cluster = LocalCluster.start(2, 1, config())) {
            return cluster.node(1).resume(job, events::add).result().toCompletableFuture().get(120, TimeUnit.SECONDS);
        }
    }

    /** The resumed run reported steps {@code from}..STEPS-1 once each, in order, and ended on the reference. */
    private static void assertOnReference(TrainingResult result, List<TrainingEvent> events, long from) {
        assertTrue(from < STEPS, "resumed before the end, from step " + from);
        TestJobs.assertOnReferenceTrajectory(result, events, from, STEPS);
    }
}
