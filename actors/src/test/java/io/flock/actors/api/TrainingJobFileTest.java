package io.flock.actors.api;

import io.flock.actors.job.TrainingJob;
import io.flock.actors.job.InvalidJobException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.strategies.Strategy;
import com.typesafe.config.ConfigFactory;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Job files read and written through the public API: {@link TrainingJob#fromConfig}, {@code fromFile}, {@code toConfig}. */
class TrainingJobFileTest {

    @TempDir
    Path dir;

    @Test
    void parse_fullSpec_mapsEveryKey() throws Exception {
        TrainingJob job = TrainingJob.fromFile(write("""
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
        TrainingJob job = TrainingJob.fromFile(write("job { epochs = 2 }\n"));

        assertEquals(ModelSpec.Mlp.fashionMnist(42).toString(), job.model().toString());
        assertEquals(new DatasetSpec.Idx(DatasetSpec.Idx.DEBIAN_FASHION_MNIST), job.dataset());
        assertEquals(OptimizerSpec.Adam.of(1e-3), job.optimizer());
        assertEquals(2, job.epochs());
        assertEquals(0, job.steps());
        assertEquals(0, job.checkpointEvery());
    }

    @Test
    void parse_unknownKeyAndWrongType_nameKeyAndLine() throws IOException {
        var e = assertThrows(InvalidJobException.class, () -> TrainingJob.fromFile(write("""
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
        var e = assertThrows(InvalidJobException.class,
                () -> TrainingJob.fromFile(write("job {\n  model.type = transformer\n}\n")));

        assertTrue(e.getMessage().contains("job.model.type: unknown type 'transformer'; valid: mlp, cnn")
                && e.getMessage().contains("job.conf:2"), e.getMessage());
    }

    @Test
    void parse_inconsistentBatch_isRejected() throws IOException {
        var e = assertThrows(InvalidJobException.class,
                () -> TrainingJob.fromFile(write("job { batch = 100, micro-batches = 8 }\n")));

        assertTrue(e.getMessage().contains("job.batch (100) must be a positive multiple of job.micro-batches (8)")
                && e.getMessage().contains("job.conf:1"), e.getMessage());
    }

    @Test
    void parse_sspWithStaleness_andAsp() throws Exception {
        TrainingJob ssp = TrainingJob.fromFile(write("job {\n  strategy = ps-ssp\n  staleness = 5\n}\n"));
        assertEquals(Strategy.PS_SSP, ssp.strategy());
        assertEquals(5, ssp.staleness());
        assertEquals(5, ssp.stalenessBound());

        TrainingJob byDefault = TrainingJob.fromFile(write("job { strategy = ps-ssp }\n"));
        assertEquals(TrainingJob.DEFAULT_STALENESS, byDefault.stalenessBound());

        TrainingJob asp = TrainingJob.fromFile(write("job { strategy = ps-asp }\n"));
        assertEquals(Strategy.PS_ASP, asp.strategy());
        assertEquals(io.flock.strategies.SspClock.ASP, asp.stalenessBound());
    }

    @Test
    void parse_badStaleness_namesKeyAndLine() throws Exception {
        var negative = assertThrows(InvalidJobException.class,
                () -> TrainingJob.fromFile(write("job {\n  strategy = ps-ssp\n  staleness = -1\n}\n")));
        assertTrue(negative.getMessage().contains("job.staleness: must be >= 0") && negative.getMessage().contains("got -1")
                && negative.getMessage().contains("job.conf:3"), negative.getMessage());

        var notNumber = assertThrows(InvalidJobException.class,
                () -> TrainingJob.fromFile(write("job {\n  strategy = ps-ssp\n  staleness = lots\n}\n")));
        assertTrue(notNumber.getMessage().contains("job.staleness: expected an integer")
                && notNumber.getMessage().contains("job.conf:3"), notNumber.getMessage());


        // Any strategy may carry a bound: it applies whenever the job runs ps-ssp (switch, auto).
        assertEquals(2, TrainingJob.fromFile(write("job {\n  strategy = auto\n  staleness = 2\n}\n")).staleness());
    }

    @Test
    void fromFile_outOfRangeValues_nameTheJobFileKeys() throws IOException {
        var e = assertThrows(InvalidJobException.class, () -> TrainingJob.fromFile(write("""
                job {
                  id = "no spaces allowed"
                  steps = -1
                  shards = 0
                  workers { min = 3, max = 2 }
                  checkpoint-every = -5
                }
                """)));

        String m = e.getMessage();
        assertTrue(m.startsWith("invalid job file " + dir.resolve("job.conf")), m);
        assertTrue(m.contains("job.id: 'no spaces allowed' must be 1-64 characters") && m.contains("job.conf:2"), m);
        assertTrue(m.contains("job.steps: must be >= 0") && m.contains("job.conf:3"), m);
        assertTrue(m.contains("job.shards: must be positive, got 0") && m.contains("job.conf:4"), m);
        assertTrue(m.contains("job.workers: need 0 < min (3) <= max (2)") && m.contains("job.conf:5"), m);
        assertTrue(m.contains("job.checkpoint-every: must be >= 0") && m.contains("job.conf:6"), m);
        assertEquals(5, e.problems().size(), m);
        for (String javaName : new String[] {"globalBatch", "microBatches", "minWorkers", "checkpointEvery", "jobId"}) {
            assertTrue(!m.contains(javaName), "no Java field names in job-file errors: " + m);
        }
    }

    @Test
    void fromFile_epochsZeroWithoutSteps_isRejected() throws IOException {
        var e = assertThrows(InvalidJobException.class, () -> TrainingJob.fromFile(write("job {\n  epochs = 0\n}\n")));

        assertTrue(e.getMessage().contains("job.epochs: must be positive when job.steps is 0, got 0")
                && e.getMessage().contains("job.conf:2"), e.getMessage());
    }

    @Test
    void fromConfig_withoutJobBlock_saysSo() {
        var e = assertThrows(InvalidJobException.class,
                () -> TrainingJob.fromConfig(ConfigFactory.parseString("batch = 3")));

        assertTrue(e.getMessage().contains("job: missing"), e.getMessage());
    }

    @Test
    void toConfig_readBack_givesTheSameJob() {
        TrainingJob[] jobs = {
            TrainingJob.builder().jobId("a").model(new ModelSpec.Mlp(12, new int[] {7, 5}, 3, 11))
                    .dataset(new DatasetSpec.Synthetic(90, 30, 12, 3, 8)).optimizer(new OptimizerSpec.Adam(3e-4, 0.8, 0.95, 1e-7))
                    .globalBatch(30).microBatches(3).steps(17).seed(-4).strategy(Strategy.PS_SSP).staleness(5).shards(3)
                    .workers(2, 1000).checkpointEvery(4).build(),
            TrainingJob.builder().jobId("b").model(new ModelSpec.Cnn(8, 1, 4, 2))
                    .dataset(new DatasetSpec.Csv("/x/train.csv", "/x/test.csv", 4)).optimizer(new OptimizerSpec.Momentum(0.1, 0.7, true))
                    .globalBatch(16).microBatches(16).epochs(3).strategy(Strategy.RING).shards(1).workers(1, 1).build(),
            TrainingJob.builder().model(ModelSpec.Mlp.fashionMnist(1)).dataset(new DatasetSpec.Idx("/d"))
                    .optimizer(new OptimizerSpec.Sgd(0.1)).strategy(Strategy.AUTO).build(),
            TrainingJob.builder().model(new ModelSpec.Mlp(3, new int[] {2}, 2, 1L << 40))
                    .dataset(new DatasetSpec.Synthetic(10, 5, 3, 2, Long.MIN_VALUE)).seed(Long.MAX_VALUE)
                    .globalBatch(4).microBatches(2).steps(3).build(),
        };
        for (TrainingJob job : jobs) {
            assertEquals(job, TrainingJob.fromConfig(job.toConfig()));
            String text = job.toConfig().root().render();
            assertEquals(job, TrainingJob.fromConfig(ConfigFactory.parseString(text).resolve()), text);
        }
    }

    @Test
    void fromFile_fractionalSeed_isRejected() throws IOException {
        var e = assertThrows(InvalidJobException.class, () -> TrainingJob.fromFile(write("job {\n  seed = 1.5\n}\n")));

        assertTrue(e.getMessage().contains("job.seed: expected an integer (64-bit) but got 1.5")
                && e.getMessage().contains("job.conf:2"), e.getMessage());
    }

    private Path write(String text) throws IOException {
        Path file = dir.resolve("job.conf");
        Files.writeString(file, text);
        return file;
    }
}
