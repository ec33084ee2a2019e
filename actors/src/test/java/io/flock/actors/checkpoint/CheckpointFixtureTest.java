package io.flock.actors.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flock.actors.job.TrainingJob;
import io.flock.strategies.Strategy;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A format-3 checkpoint written by the build that introduced the format is committed under
 * {@code src/test/resources/checkpoints/}; every later build must read it back exactly. Never
 * regenerate the fixture to make this test pass: a failure means the format changed incompatibly.
 * (It was written by {@link #writeFixture}; a new format gets a new fixture file and test of its own.)
 */
class CheckpointFixtureTest {

    static final String FIXTURE = "/checkpoints/fixture-v3-000000000037.ckpt";

    /** What the fixture holds: a tiny MLP (4-3-2: 23 parameters) under Adam, 37 steps into an 8-step epoch. */
    static Checkpoint expected() {
        TrainingJob job = TrainingJob.builder().jobId("fixture-v3")
                .model(new ModelSpec.Mlp(4, new int[] {3}, 2, 7))
                .dataset(new DatasetSpec.Synthetic(64, 16, 4, 2, 5))
                .optimizer(new OptimizerSpec.Adam(0.0025, 0.9, 0.999, 1e-8))
                .globalBatch(8).microBatches(2).steps(100).seed(11).strategy(Strategy.PS_SSP).staleness(2)
                .shards(2).workers(1, 3).checkpointEvery(37).build();
        float[] params = new float[23];
        for (int i = 0; i < params.length; i++) params[i] = i * 0.125f - 1.5f;
        float[][] state = new float[2][23];
        for (int r = 0; r < 2; r++) {
            for (int i = 0; i < 23; i++) state[r][i] = (r + 1) * 0.5f + i / 1024f;
        }
        return new Checkpoint("fixture-v3", 37, job, 64, Nd4j.createFromArray(params), Nd4j.createFromArray(state),
                1_764_600_000_000L);
    }

    @Test
    void read_committedFormat3Fixture_givesEveryFieldExactly() throws Exception {
        Checkpoint c = CheckpointStore.read(fixture());

        assertEquals("fixture-v3", c.jobId());
        assertEquals(37, c.version());
        assertEquals(64, c.datasetSize());
        assertEquals(1_764_600_000_000L, c.createdMillis());
        assertEquals(4, c.epoch(), "37 steps of 8 per epoch: epoch 4");
        assertEquals(5, c.stepInEpoch());

        TrainingJob job = c.job();
        assertEquals(expected().job(), job);
        assertEquals("fixture-v3", job.jobId());
        assertEquals(new ModelSpec.Mlp(4, new int[] {3}, 2, 7), job.model());
        assertEquals(new DatasetSpec.Synthetic(64, 16, 4, 2, 5), job.dataset());
        assertEquals(new OptimizerSpec.Adam(0.0025, 0.9, 0.999, 1e-8), job.optimizer());
        assertEquals(8, job.globalBatch());
        assertEquals(2, job.microBatches());
        assertEquals(100, job.steps());
        assertEquals(0, job.epochs());
        assertEquals(11, job.seed());
        assertEquals(Strategy.PS_SSP, job.strategy());
        assertEquals(2, job.staleness());
        assertEquals(2, job.shards());
        assertEquals(1, job.minWorkers());
        assertEquals(3, job.maxWorkers());
        assertEquals(37, job.checkpointEvery());

        assertEquals(DataType.FLOAT, c.params().dataType());
        assertArrayEquals(new long[] {23}, c.params().shape());
        assertArrayEquals(expected().params().toFloatVector(), c.params().toFloatVector());
        assertEquals(DataType.FLOAT, c.optimizerState().dataType());
        assertArrayEquals(new long[] {2, 23}, c.optimizerState().shape());
        assertEquals(expected().optimizerState(), c.optimizerState());
        assertEquals(-1.5f, c.params().getFloat(0));
        assertEquals(1.0f + 22 / 1024f, c.optimizerState().getFloat(1, 22));
    }

    @Test
    void read_fixtureCopiedIntoAStore_isTheJobsLatestValid() throws Exception {
        Path dir = Files.createTempDirectory("ckpt-fixture");
        Files.copy(fixture(), dir.resolve("fixture-v3-000000000037.ckpt"));
        CheckpointStore.Found found = new CheckpointStore(dir, 3).latestValid("fixture-v3");

        assertEquals(37, found.checkpoint().version());
        assertEquals(expected().params(), found.checkpoint().params());
    }

    static Path fixture() throws URISyntaxException {
        return Path.of(CheckpointFixtureTest.class.getResource(FIXTURE).toURI());
    }

    /** Wrote the fixture (once, for format 3): {@code -Dflock.checkpoint.write-fixture=<dir>}. */
    @Test
    @EnabledIfSystemProperty(named = "flock.checkpoint.write-fixture", matches = ".+")
    void writeFixture() {
        new CheckpointStore(Path.of(System.getProperty("flock.checkpoint.write-fixture")), 1).write(expected());
    }
}
