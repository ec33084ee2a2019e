package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.FlockNode;
import io.flock.actors.api.LocalCluster;
import io.flock.strategies.Strategy;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingResult;
import io.flock.actors.metrics.MetricsScraper;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * PS-SSP and PS-ASP on a real cluster with a straggler (a worker slowed down by a per-step
 * delay). SSP: the job trains, the staleness the shards observe is above 0 and never above s
 * (read from every node's Prometheus histogram, and checked again by the final evaluation), and
 * every worker computed its share of every clock. ASP: the job completes and the fast worker is
 * never held back (staleness far above any small bound).
 */
class SspTrainingTest {

    static final long STEPS = 40;
    static final int STALENESS = 2;

    LocalCluster cluster;
    final List<TrainingEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void ssp_slowWorker_stalenessWithinBound_everyWorkerProgresses() throws Exception {
        cluster = LocalCluster.start(3, 1, ConfigFactory.empty());
        assertEquals(1, slowDown(cluster.node(2), Duration.ofMillis(150)));

        TrainingResult result = TestJobs.await(cluster.node(0).submit(
                TestJobs.staleJob("ssp-slow", Strategy.PS_SSP, STALENESS, STEPS, 3, 3, 2), events::add), events);

        assertEquals(STEPS, result.steps());
        List<TrainingEvent.StepCompleted> steps = TestJobs.eventsOf(events, TrainingEvent.StepCompleted.class);
        assertEquals(STEPS, steps.size(), "every clock reported once");
        for (int i = 0; i < steps.size(); i++) assertEquals(i, steps.get(i).step(), "clocks in order");
        double[] loss = TestJobs.firstAndLastLoss(events, 5);
        assertTrue(loss[1] < loss[0] * 0.8, "loss falls: first " + loss[0] + ", last " + loss[1]);
        assertTrue(TestJobs.eventsOf(events, TrainingEvent.MembershipChanged.class).isEmpty(),
                "the 3 workers kept their micro-batches throughout");

        Histogram staleness = Histogram.scrape(cluster.nodes());
        System.out.printf("ssp staleness: %s; loss %.4f -> %.4f; %d ms%n", staleness, loss[0], loss[1],
                result.elapsedMillis());
        assertEquals(STEPS * TestJobs.MICRO_BATCHES * 2, staleness.count, "every gradient slice applied once, observed");
        assertEquals(staleness.count, staleness.atMost(STALENESS), "no staleness above s = " + STALENESS);
        assertTrue(staleness.atMost(0) < staleness.count && staleness.sum > 0, "some gradients were stale: " + staleness);
        for (FlockNode node : cluster.nodes()) {
            assertEquals((double) STEPS, MetricsScraper.value(MetricsScraper.scrape(node.metricsPort().orElseThrow()),
                    "flock_sync_duration_seconds_count{strategy=\"ps-ssp\",}"), "each worker pulled every clock");
        }
    }

    @Test
    void asp_slowWorker_completesAndNeverWaits() throws Exception {
        cluster = LocalCluster.start(2, 1, ConfigFactory.empty());
        assertEquals(1, slowDown(cluster.node(1), Duration.ofMillis(100)));

        TrainingResult result = TestJobs.await(cluster.node(0).submit(
                TestJobs.staleJob("asp-slow", Strategy.PS_ASP, 0, 30, 2, 2, 2), events::add), events);

        assertEquals(30, result.steps());
        assertFalse(events.stream().anyMatch(TrainingEvent.Failed.class::isInstance));
        assertEquals(30, TestJobs.eventsOf(events, TrainingEvent.StepCompleted.class).size());
        Histogram staleness = Histogram.scrape(cluster.nodes());
        System.out.printf("asp staleness: %s; %d ms%n", staleness, result.elapsedMillis());
        assertEquals(30L * TestJobs.MICRO_BATCHES * 2, staleness.count);
        assertTrue(staleness.atMost(4) < staleness.count, "the fast worker ran far ahead: " + staleness);
    }

    private static int slowDown(FlockNode node, Duration delay) throws Exception {
        return node.setStepDelay(delay).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** flock_staleness_steps summed over the nodes (each records what its shard primaries applied). */
    record Histogram(double count, double sum, double[] buckets) {
        static final double[] LE = {0, 1, 2, 4, 8, 16, 32};

        static Histogram scrape(List<FlockNode> nodes) throws Exception {
            double count = 0;
            double sum = 0;
            double[] buckets = new double[LE.length];
            for (FlockNode node : nodes) {
                String page = MetricsScraper.scrape(node.metricsPort().orElseThrow());
                count += MetricsScraper.value(page, "flock_staleness_steps_count");
                sum += MetricsScraper.value(page, "flock_staleness_steps_sum");
                for (int i = 0; i < LE.length; i++) {
                    buckets[i] += MetricsScraper.value(page, "flock_staleness_steps_bucket{le=\"" + LE[i] + "\",}");
                }
            }
            return new Histogram(count, sum, buckets);
        }

        /** Observations with staleness <= {@code steps} (a bucket bound). */
        double atMost(int steps) {
            for (int i = 0; i < LE.length; i++) if (LE[i] == steps) return buckets[i];
            throw new IllegalArgumentException("no bucket " + steps);
        }

        @Override
        public String toString() {
            return "count " + count + ", sum " + sum + ", buckets (le 0,1,2,4,8,16,32) "
                    + java.util.Arrays.toString(buckets);
        }
    }
}
