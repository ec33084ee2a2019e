package io.flock.actors.metrics;

import io.flock.strategies.Strategy;
import java.util.Map;

/**
 * What Flock measures about training and the cluster, as a narrow seam: actors call these
 * methods and never see a metrics library. {@link #DISABLED} does nothing;
 * {@link PrometheusMetrics} is the Prometheus binding. Implementations are thread-safe.
 */
public interface TrainingMetrics {

    /** A step of job {@code jobId} completed: {@code samples} samples in {@code seconds}, mean {@code loss}. */
    void recordStep(String jobId, Strategy strategy, double seconds, long samples, double loss);

    /** A worker spent {@code seconds} computing its micro-batches of one step. */
    void recordCompute(double seconds);

    /** A worker synchronised with the cluster for one step: {@code seconds} waiting, {@code bytes} received. */
    void recordSync(Strategy strategy, double seconds, long bytes);

    /** Cluster members as this node sees them, by status ({@code "up"}, {@code "leaving"}, ...). */
    void setMembers(Map<String, Integer> countsByStatus);

    /** Parameter-shard entities hosted on this node. */
    void setShards(int count);

    /** An inbound message could not be decoded (and was dropped). */
    void serializationError();

    /**
     * A checkpoint of {@code jobId} was written at {@code epochMillis}. Exported as a timestamp
     * (Prometheus convention): the age is {@code time() - flock_checkpoint_last_timestamp_seconds}.
     */
    void recordCheckpoint(String jobId, long epochMillis);

    /**
     * A shard accepted a gradient computed at version {@code computedAt} while it held
     * {@code current}: staleness = current - computedAt steps (always 0 under BSP).
     */
    void recordStaleness(long steps);

    /** Records nothing. */
    TrainingMetrics DISABLED = new TrainingMetrics() {
        @Override
        public void recordStep(String jobId, Strategy strategy, double seconds, long samples, double loss) {}

        @Override
        public void recordCompute(double seconds) {}

        @Override
        public void recordSync(Strategy strategy, double seconds, long bytes) {}

        @Override
        public void setMembers(Map<String, Integer> countsByStatus) {}

        @Override
        public void setShards(int count) {}

        @Override
        public void serializationError() {}

        @Override
        public void recordCheckpoint(String jobId, long epochMillis) {}

        @Override
        public void recordStaleness(long steps) {}
    };
}
