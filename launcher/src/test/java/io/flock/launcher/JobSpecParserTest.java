package io.flock.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.strategies.Strategy;
import io.flock.actors.api.TrainingJob;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobSpecParserTest {

    @TempDir
    Path dir;

    @Test
    void parse_fullSpec_mapsEveryKey() throws Exception {
        TrainingJob job = JobSpecParser.parse(write("""
                job {
                  id = fmnist-cnn
                  model { type = cnn, side = 28, channels = 1, classes = 10, seed = 5 }
                  dataset { type = csv, train-file = "/data/train.csv", test-file = "/data/test.csv", classes = 10 }
                  optimizer { type = nesterov, learning-rate = 0.01, momentum = 0.8 }
                  batch = 64
                  micro-batches = 4
                  steps = 100
                  seed = 9
                  strategy = ps-bsp
                  shards = 3
                  workers { min = 2, max = 4 }
                  checkpoint-every = 25
                }
                """));

        assertEquals("fmnist-cnn", job.jobId());
        assertEquals(new ModelSpec.Cnn(28, 1, 10, 5), job.model());
        assertEquals(new DatasetSpec.Csv("/data/train.csv", "/data/test.csv", 10), job.dataset());
        assertEquals(new OptimizerSpec.Momentum(0.01, 0.8, true), job.optimizer());
        assertEquals(64, job.globalBatch());
        assertEquals(4, job.microBatches());
        assertEquals(100, job.steps());
        assertEquals(9, job.seed());
        assertEquals(Strategy.PS_BSP, job.strategy());
        assertEquals(3, job.shards());
        assertEquals(2, job.minWorkers());
        assertEquals(4, job.maxWorkers());
        assertEquals(25, job.checkpointEvery());
    }

    @Test
    void parse_minimalSpec_takesTheDefaults() throws Exception {
        TrainingJob job = JobSpecParser.parse(write("job { epochs = 2 }\n"));

        assertEquals(ModelSpec.Mlp.fashionMnist(42).toString(), job.model().toString());
        assertEquals(new DatasetSpec.Idx(DatasetSpec.Idx.DEBIAN_FASHION_MNIST), job.dataset());
        assertEquals(OptimizerSpec.Adam.of(1e-3), job.optimizer());
        assertEquals(2, job.epochs());
        assertEquals(0, job.steps());
        assertEquals(0, job.checkpointEvery());
    }

    @Test
    void parse_unknownKeyAndWrongType_nameKeyAndLine() throws IOException {
        var e = assertThrows(JobSpecParser.InvalidJobException.class, () -> JobSpecParser.parse(write("""
                job {
                  batch = lots
                  epoch = 3
                }
                """)));

        assertTrue(e.getMessage().contains("job.batch: expected an integer but got string \"lots\"")
                && e.getMessage().contains("job.conf:2"), e.getMessage());
        assertTrue(e.getMessage().contains("job.epoch: unknown key") && e.getMessage().contains("job.conf:3"),
                e.getMessage());
    }

    @Test
    void parse_unknownModelType_namesValidTypesAndLine() throws IOException {
        var e = assertThrows(JobSpecParser.InvalidJobException.class,
                () -> JobSpecParser.parse(write("job {\n  model.type = transformer\n}\n")));

        assertTrue(e.getMessage().contains("job.model.type: unknown type 'transformer'; valid: mlp, cnn")
                && e.getMessage().contains("job.conf:2"), e.getMessage());
    }

    @Test
    void parse_inconsistentBatch_isRejected() throws IOException {
        var e = assertThrows(JobSpecParser.InvalidJobException.class,
                () -> JobSpecParser.parse(write("job { batch = 100, micro-batches = 8 }\n")));

        assertTrue(e.getMessage().contains("must be a positive multiple of microBatches"), e.getMessage());
    }

    @Test
    void parse_sspWithStaleness_andAsp() throws Exception {
        TrainingJob ssp = JobSpecParser.parse(write("job {\n  strategy = ps-ssp\n  staleness = 5\n}\n"));
        assertEquals(Strategy.PS_SSP, ssp.strategy());
        assertEquals(5, ssp.staleness());
        assertEquals(5, ssp.stalenessBound());

        TrainingJob byDefault = JobSpecParser.parse(write("job { strategy = ps-ssp }\n"));
        assertEquals(TrainingJob.DEFAULT_STALENESS, byDefault.stalenessBound());

        TrainingJob asp = JobSpecParser.parse(write("job { strategy = ps-asp }\n"));
        assertEquals(Strategy.PS_ASP, asp.strategy());
        assertEquals(io.flock.strategies.SspClock.ASP, asp.stalenessBound());
    }

    @Test
    void parse_badStaleness_namesKeyAndLine() throws Exception {
        var negative = assertThrows(JobSpecParser.InvalidJobException.class,
                () -> JobSpecParser.parse(write("job {\n  strategy = ps-ssp\n  staleness = -1\n}\n")));
        assertTrue(negative.getMessage().contains("job.staleness: must be >= 0") && negative.getMessage().contains("got -1")
                && negative.getMessage().contains("job.conf:3"), negative.getMessage());

        var notNumber = assertThrows(JobSpecParser.InvalidJobException.class,
                () -> JobSpecParser.parse(write("job {\n  strategy = ps-ssp\n  staleness = lots\n}\n")));
        assertTrue(notNumber.getMessage().contains("job.staleness: expected an integer")
                && notNumber.getMessage().contains("job.conf:3"), notNumber.getMessage());


        // Any strategy may carry a bound: it applies whenever the job runs ps-ssp (switch, auto).
        assertEquals(2, JobSpecParser.parse(write("job {\n  strategy = auto\n  staleness = 2\n}\n")).staleness());
    }

    @Test
    void parse_resumeWithoutJobId_asksForTheId() throws Exception {
        var e = assertThrows(JobSpecParser.InvalidJobException.class,
                () -> JobSpecParser.parse(write("job { steps = 10 }\n"), true));

        assertTrue(e.getMessage().contains("job.id: required to resume"), e.getMessage());
        assertEquals("j1", JobSpecParser.parse(write("job { id = j1, steps = 10 }\n"), true).jobId());
    }

    private File write(String text) throws IOException {
        Path file = dir.resolve("job.conf");
        Files.writeString(file, text);
        return file.toFile();
    }
}
