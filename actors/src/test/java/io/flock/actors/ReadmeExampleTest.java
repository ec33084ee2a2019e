package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingJob;
import io.flock.actors.job.TrainingResult;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's Java API example, compiled and run; and a check that the README still shows it. */
class ReadmeExampleTest {

    @Test
    void readmeExample_trainsOnAThreeNodeCluster() throws Exception {
        // --- README example start
        try (LocalCluster cluster = LocalCluster.start(3, 1, ConfigFactory.empty())) {
            TrainingJob job = TrainingJob.builder()
                    .model(ModelSpec.Mlp.fashionMnist(42))
                    .dataset(DatasetSpec.Synthetic.fashionMnistShaped(2_000, 500, 7))
                    .optimizer(OptimizerSpec.Adam.of(1e-3))
                    .globalBatch(128).microBatches(8).epochs(1)
                    .shards(2).workers(1, 3)
                    .build();
            TrainingResult result = cluster.node(0)
                    .submit(job, event -> {
                        if (event instanceof TrainingEvent.EpochCompleted e) {
                            System.out.printf("epoch %d: test accuracy %.3f%n", e.epoch(), e.testAccuracy());
                        }
                    })
                    .result().toCompletableFuture().join();
            System.out.printf("done: %d steps, loss %.4f%n", result.steps(), result.finalLoss());
            // --- README example end
            assertTrue(result.testAccuracy() > 0.7, "accuracy " + result.testAccuracy());
        }
    }

    @Test
    void readme_showsThisExampleVerbatim() throws Exception {
        List<String> source = Files.readAllLines(Path.of("src/test/java/io/flock/actors/ReadmeExampleTest.java"));
        int from = indexOf(source, "// --- README example start") + 1;
        int to = indexOf(source, "// --- README example end");
        String readme = Files.readString(Path.of("../README.md"));
        for (String line : source.subList(from, to)) {
            assertTrue(readme.contains(line.strip()), "README.md lacks the example line: " + line.strip());
        }
    }

    private static int indexOf(List<String> lines, String marker) {
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(marker)) return i;
        throw new AssertionError("marker not found: " + marker);
    }
}
