package io.flock.actors.metrics;

import io.flock.strategies.Strategy;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link TrainingMetrics} as Prometheus collectors in one {@link CollectorRegistry} per node
 * (never the default registry: several nodes may share a JVM). Names follow Prometheus
 * conventions: base units, {@code _total} for counters, {@code _seconds} and {@code _bytes}.
 */
public final class PrometheusMetrics implements TrainingMetrics {

    private static final double[] STEP_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final CollectorRegistry registry;
    private final Histogram stepDuration;
    private final Counter steps;
    private final Counter samples;
    private final Gauge samplesPerSecond;
    private final Gauge loss;
    private final Gauge strategyInForce;
    private final Histogram computeDuration;
    private final Histogram syncDuration;
    private final Counter syncBytes;
    private final Gauge members;
    private final Gauge shards;
    private final Counter serializationErrors;
    private final Gauge lastCheckpoint;
    private final io.prometheus.client.Histogram staleness;
    private final Set<String> memberStatuses = ConcurrentHashMap.newKeySet();

    public PrometheusMetrics(CollectorRegistry registry) {
        this.registry = registry;
        stepDuration = Histogram.build("flock_step_duration_seconds", "Wall time of one training step, completion to completion.")
                .labelNames("strategy").buckets(STEP_BUCKETS).register(registry);
        steps = Counter.build("flock_steps_total", "Training steps completed.").labelNames("job").register(registry);
        samples = Counter.build("flock_samples_total", "Training samples processed.").labelNames("job").register(registry);
        samplesPerSecond = Gauge.build("flock_samples_per_second", "Throughput of the last completed step.")
                .labelNames("job").register(registry);
        loss = Gauge.build("flock_loss", "Mean training loss of the last completed step.").labelNames("job").register(registry);
        strategyInForce = Gauge.build("flock_strategy_in_force",
                "1 for the synchronisation strategy of the last completed step, 0 for the others.")
                .labelNames("strategy").register(registry);
        computeDuration = Histogram.build("flock_worker_compute_seconds",
                "Time a worker spends computing its micro-batches of one step.").buckets(STEP_BUCKETS).register(registry);
        syncDuration = Histogram.build("flock_sync_duration_seconds",
                "Time a worker waits for parameters before it can compute a step.")
                .labelNames("strategy").buckets(STEP_BUCKETS).register(registry);
        syncBytes = Counter.build("flock_sync_bytes_total", "Parameter bytes a worker received for synchronisation.")
                .labelNames("strategy").register(registry);
        members = Gauge.build("flock_cluster_members", "Cluster members seen by this node, by status.")
                .labelNames("status").register(registry);
        shards = Gauge.build("flock_shards", "Parameter-shard entities hosted on this node.").register(registry);
        serializationErrors = Counter.build("flock_serialization_errors_total",
                "Inbound messages that could not be decoded and were dropped.").register(registry);
        staleness = io.prometheus.client.Histogram.build("flock_staleness_steps",
                "Observed staleness of each accepted gradient, in steps (0 under BSP).")
                .buckets(0, 1, 2, 4, 8, 16, 32).register(registry);
        lastCheckpoint = Gauge.build("flock_checkpoint_last_timestamp_seconds",
                "Unix time of the job's last checkpoint; age = time() - this.").labelNames("job").register(registry);
    }

    /** The registry these collectors live in (what the node's /metrics endpoint serves). */
    public CollectorRegistry registry() {
        return registry;
    }

    @Override
    public void recordStep(String jobId, Strategy strategy, double seconds, long samples, double loss) {
        stepDuration.labels(strategy.id()).observe(seconds);
        steps.labels(jobId).inc();
        this.samples.labels(jobId).inc(samples);
        samplesPerSecond.labels(jobId).set(samples / Math.max(1e-9, seconds));
        this.loss.labels(jobId).set(loss);
        for (Strategy s : Strategy.values()) strategyInForce.labels(s.id()).set(s == strategy ? 1 : 0);
    }

    @Override
    public void recordCompute(double seconds) {
        computeDuration.observe(seconds);
    }

    @Override
    public void recordSync(Strategy strategy, double seconds, long bytes) {
        syncDuration.labels(strategy.id()).observe(seconds);
        syncBytes.labels(strategy.id()).inc(bytes);
    }

    @Override
    public void setMembers(Map<String, Integer> countsByStatus) {
        memberStatuses.addAll(countsByStatus.keySet());
        for (String status : memberStatuses) members.labels(status).set(countsByStatus.getOrDefault(status, 0));
    }

    @Override
    public void setShards(int count) {
        shards.set(count);
    }

    @Override
    public void serializationError() {
        serializationErrors.inc();
    }

    @Override
    public void recordCheckpoint(String jobId, long epochMillis) {
        lastCheckpoint.labels(jobId).set(epochMillis / 1000.0);
    }

    @Override
    public void recordStaleness(long steps) {
        staleness.observe(steps);
    }
}
