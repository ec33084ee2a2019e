package io.flock.actors.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.FlockNode;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingJob;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each node's /metrics endpoint over real HTTP while a job trains on a 2-node cluster. */
class MetricsEndpointTest {

    LocalCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void trainingJob_nodesServeFlockAndJvmMetrics() throws Exception {
        cluster = LocalCluster.start(2, 1, ConfigFactory.empty());
        TrainingJob job = TrainingJob.builder().jobId("metrics")
                .model(ModelSpec.Mlp.fashionMnist(7))
                .dataset(DatasetSpec.Synthetic.fashionMnistShaped(600, 100, 11))
                .optimizer(OptimizerSpec.Adam.of(1e-3))
                .globalBatch(60).microBatches(6).steps(12).shards(3).workers(2, 2)
                .build();
        cluster.node(0).submit(job).result().toCompletableFuture().get(120, TimeUnit.SECONDS);

        List<String> pages = List.of(scrape(cluster.node(0)), scrape(cluster.node(1)));
        // The coordinator runs on the oldest node (node 0) and records every step there.
        assertEquals(12.0, value(pages.get(0), "flock_step_duration_seconds_count{strategy=\"ps-bsp\",}"));
        assertEquals(12.0, value(pages.get(0), "flock_steps_total{job=\"metrics\",}"));
        assertEquals(720.0, value(pages.get(0), "flock_samples_total{job=\"metrics\",}"));
        assertEquals(1.0, value(pages.get(0), "flock_strategy_in_force{strategy=\"ps-bsp\",}"));
        assertTrue(value(pages.get(0), "flock_loss{job=\"metrics\",}") > 0);
        assertEquals(24.0, value(pages.get(0), "flock_worker_compute_seconds_count"), "12 steps x 2 workers");
        assertEquals(12 * 6 * 3, value(pages.get(0), "flock_staleness_steps_count")
                + value(pages.get(1), "flock_staleness_steps_count"), "every push accepted by a primary is observed");
        assertEquals(0.0, value(pages.get(0), "flock_staleness_steps_sum") + value(pages.get(1), "flock_staleness_steps_sum"),
                "BSP: every gradient is applied at the version it was computed on");
        for (String page : pages) {
            assertEquals(2.0, value(page, "flock_cluster_members{status=\"up\",}"), page);
            assertEquals(12.0, value(page, "flock_sync_duration_seconds_count{strategy=\"ps-bsp\",}"), "one pull per step");
            assertTrue(value(page, "flock_sync_bytes_total{strategy=\"ps-bsp\",}") >= 12 * 4 * 235_146, page);
            assertEquals(0.0, value(page, "flock_serialization_errors_total"));
            assertTrue(page.contains("jvm_memory_bytes_used"), "hotspot collectors are exported");
        }
    }

    @Test
    void parameterShards_areCountedOnTheNodesThatHostThem() throws Exception {
        cluster = LocalCluster.start(2, 1, ConfigFactory.parseString("flock.metrics.shards-interval = 100ms"));
        TrainingJob job = TrainingJob.builder().jobId("shards")
                .model(ModelSpec.Mlp.fashionMnist(7))
                .dataset(DatasetSpec.Synthetic.fashionMnistShaped(600, 100, 11))
                .globalBatch(60).microBatches(6).steps(2000).shards(5).workers(2, 2)
                .build();
        var handle = cluster.node(0).submit(job);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        double hosted;
        do {
            hosted = value(scrape(cluster.node(0)), "flock_shards") + value(scrape(cluster.node(1)), "flock_shards");
            if (hosted == 5.0) break;
            TimeUnit.MILLISECONDS.sleep(50);
        } while (System.nanoTime() < deadline);
        assertEquals(5.0, hosted, "the job's 5 shards are hosted across the 2 nodes");
        handle.result().toCompletableFuture().cancel(true);
    }

    @Test
    void metricsDisabled_noEndpoint() throws Exception {
        cluster = LocalCluster.start(1, 0, ConfigFactory.parseString("flock.metrics.enabled = off"));

        assertTrue(cluster.node(0).metricsPort().isEmpty());
        assertEquals(TrainingMetrics.DISABLED, FlockMetrics.get(cluster.node(0).system()).metrics());
    }

    static String scrape(FlockNode node) throws IOException, InterruptedException {
        return MetricsScraper.scrape(node.metricsPort().orElseThrow());
    }

    static double value(String page, String series) {
        return MetricsScraper.value(page, series);
    }
}
