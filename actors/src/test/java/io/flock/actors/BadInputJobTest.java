package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingJob;
import io.flock.actors.job.TrainingResult;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A job with bad data fails with a reason naming the problem; the node goes on training. */
class BadInputJobTest {

    static LocalCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.start(1, 1, ConfigFactory.empty());
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void csvWithNaN_failsJobNamingFileAndLine_thenNextJobCompletes(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "label,a,b\n0,1.0,2.0\n1,NaN,0.5\n");
        String reason = failureOf(job("nan-job", new DatasetSpec.Csv(bad.toString(), bad.toString(), 2), 2));
        assertTrue(reason.contains("bad.csv") && reason.contains("line 3"), reason);

        TrainingResult ok = cluster.node(0).submit(job("after-nan", DatasetSpec.Synthetic.fashionMnistShaped(64, 16, 1), 784))
                .result().toCompletableFuture().get(120, TimeUnit.SECONDS);
        assertEquals(4, ok.steps());
    }

    @Test
    void truncatedIdx_failsJobNamingFileAndOffset(@TempDir Path dir) throws Exception {
        byte[] header = {0, 0, 8, 3, 0, 0, 0, 100, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3};
        Files.write(dir.resolve("train-images-idx3-ubyte"), header);
        Files.write(dir.resolve("train-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 100});
        String reason = failureOf(job("idx-job", new DatasetSpec.Idx(dir.toString()), 784));
        assertTrue(reason.contains("train-images-idx3-ubyte") && reason.contains("offset"), reason);
    }

    @Test
    void truncatedGzipIdx_failsJobNamingTheFile_notJustTheZlibError(@TempDir Path dir) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (var gz = new java.util.zip.GZIPOutputStream(bytes)) {
            gz.write(new byte[] {0, 0, 8, 3, 0, 0, 0, 100, 0, 0, 0, 28, 0, 0, 0, 28});
            gz.write(new byte[100 * 28 * 28]);
        }
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), java.util.Arrays.copyOf(bytes.toByteArray(), 40));
        byte[] labels = new byte[8 + 100];
        System.arraycopy(new byte[] {0, 0, 8, 1, 0, 0, 0, 100}, 0, labels, 0, 8);
        Files.write(dir.resolve("train-labels-idx1-ubyte"), labels);
        String reason = failureOf(job("gz-job", new DatasetSpec.Idx(dir.toString()), 784));
        assertTrue(reason.contains("train-images-idx3-ubyte.gz") && reason.contains("offset"), reason);
    }

    private static TrainingJob job(String id, DatasetSpec data, int inputs) {
        return TrainingJob.builder().jobId(id).model(new ModelSpec.Mlp(inputs, new int[] {8}, 10, 1))
                .dataset(data).globalBatch(16).microBatches(2).steps(4).shards(2).build();
    }

    private static String failureOf(TrainingJob job) throws Exception {
        var future = cluster.node(0).submit(job).result().toCompletableFuture();
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(120, TimeUnit.SECONDS));
        assertInstanceOf(JobHandle.JobFailedException.class, e.getCause());
        return e.getCause().getMessage();
    }
}
