package io.flock.actors.job;

import com.typesafe.config.Config;
import io.flock.strategies.Strategy;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.nio.file.Path;
import java.util.Objects;
import java.util.UUID;

/**
 * Everything that defines a training run. Immutable and serializable; build one with
 * {@link #builder()}, or read a job file with {@link #fromFile(Path)} / {@link #fromConfig(Config)}
 * ({@link #toConfig()} writes one). Exactly one of {@code steps} and {@code epochs} is positive:
 * epochs are turned into steps once the coordinator knows the dataset size.
 *
 * @param jobId        unique id, also the prefix of the job's shard entity ids
 * @param model        the model to train
 * @param dataset      where every node loads the data from
 * @param optimizer    the update rule the shards apply
 * @param globalBatch  samples per step (B)
 * @param microBatches micro-batches per step (M); B must be divisible by M
 * @param steps        total steps, or 0 when {@code epochs} is used
 * @param epochs       total epochs, or 0 when {@code steps} is used
 * @param seed         seed of the batch plan
 * @param strategy     synchronisation strategy
 * @param shards       number of parameter shards
 * @param minWorkers   the job waits until at least this many workers are available
 * @param maxWorkers   at most this many workers take part
 * @param checkpointEvery write a checkpoint every this many steps (0 = only on demand)
 * @param staleness    the staleness bound s of {@link Strategy#PS_SSP}: a worker may start step
 *                     (clock) c once every step below c - s is applied; 0 = lock-step. Ignored by
 *                     the other strategies ({@link Strategy#PS_ASP} has no bound)
 */
public record TrainingJob(
        String jobId,
        ModelSpec model,
        DatasetSpec dataset,
        OptimizerSpec optimizer,
        int globalBatch,
        int microBatches,
        long steps,
        int epochs,
        long seed,
        Strategy strategy,
        int shards,
        int minWorkers,
        int maxWorkers,
        long checkpointEvery,
        int staleness) {

    /** The staleness bound of a ps-ssp job that does not set one. */
    public static final int DEFAULT_STALENESS = 3;

    public TrainingJob {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(strategy, "strategy");
        if (!jobId.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("jobId '" + jobId + "' must be 1-64 characters of [A-Za-z0-9_.-]");
        }
        if (globalBatch <= 0 || microBatches <= 0 || globalBatch % microBatches != 0) {
            throw new IllegalArgumentException("globalBatch (" + globalBatch + ") must be a positive multiple of microBatches ("
                    + microBatches + ")");
        }
        if ((steps > 0) == (epochs > 0) || steps < 0 || epochs < 0) {
            throw new IllegalArgumentException("set exactly one of steps (" + steps + ") and epochs (" + epochs + ") to a positive value");
        }
        if (shards <= 0) throw new IllegalArgumentException("shards must be positive, got " + shards);
        if (minWorkers <= 0 || maxWorkers < minWorkers) {
            throw new IllegalArgumentException("need 0 < minWorkers (" + minWorkers + ") <= maxWorkers (" + maxWorkers + ")");
        }
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("checkpointEvery must be >= 0 (0 = off), got " + checkpointEvery);
        }
        if (staleness < 0) {
            throw new IllegalArgumentException("staleness must be >= 0 (0 = lock-step), got " + staleness);
        }
        if (strategy == null) throw new IllegalArgumentException("strategy must be set");
    }

    /** The staleness bound shards enforce: {@code staleness} under ps-ssp, unbounded under ps-asp, 0 otherwise. */
    public int stalenessBound() {
        return switch (strategy) {
            case PS_SSP -> staleness;
            case PS_ASP -> io.flock.strategies.SspClock.ASP;
            default -> 0;
        };
    }

    /**
     * Reads a job file's document: one {@code job { ... }} block whose keys, types and defaults
     * are those of {@code io/flock/actors/job/job-defaults.conf} (keys it omits take the default;
     * an empty {@code id} becomes a random one).
     *
     * @param config the resolved document holding the {@code job} block
     * @throws InvalidJobException listing every problem: unknown keys, wrong types, values out of
     *                             range or inconsistent, each with its job-file key and, where the
     *                             config has one, the file and line
     */
    public static TrainingJob fromConfig(Config config) {
        return JobFile.read(config, JobFile.describe(config));
    }

    /** Parses and reads the HOCON job file {@code file}; see {@link #fromConfig(Config)}. */
    public static TrainingJob fromFile(Path file) {
        return JobFile.read(file);
    }

    /**
     * This job as a job-file document ({@code job { ... }} with every key set, the id included):
     * {@code fromConfig(job.toConfig())} equals {@code job}. Checkpoints store its rendering.
     */
    public Config toConfig() {
        return JobFile.write(this);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this job's values, to derive a variant. */
    public Builder toBuilder() {
        Builder b = new Builder().jobId(jobId).model(model).dataset(dataset).optimizer(optimizer)
                .globalBatch(globalBatch).microBatches(microBatches).seed(seed).strategy(strategy).shards(shards)
                .workers(minWorkers, maxWorkers).checkpointEvery(checkpointEvery).staleness(staleness);
        return steps > 0 ? b.steps(steps) : b.epochs(epochs);
    }

    /** Fluent builder with the demo's defaults: Adam 1e-3, B = 128, M = 8, 1 epoch, ps-bsp, 2 shards, staleness 3. */
    public static final class Builder {
        private String jobId = "job-" + UUID.randomUUID().toString().substring(0, 8);
        private ModelSpec model;
        private DatasetSpec dataset;
        private OptimizerSpec optimizer = OptimizerSpec.Adam.of(1e-3);
        private int globalBatch = 128;
        private int microBatches = 8;
        private long steps;
        private int epochs = 1;
        private long seed = 42;
        private Strategy strategy = Strategy.PS_BSP;
        private int shards = 2;
        private int minWorkers = 1;
        private int maxWorkers = Integer.MAX_VALUE;
        private long checkpointEvery;
        private int staleness = DEFAULT_STALENESS;

        public Builder jobId(String v) { this.jobId = v; return this; }
        public Builder model(ModelSpec v) { this.model = v; return this; }
        public Builder dataset(DatasetSpec v) { this.dataset = v; return this; }
        public Builder optimizer(OptimizerSpec v) { this.optimizer = v; return this; }
        public Builder globalBatch(int v) { this.globalBatch = v; return this; }
        public Builder microBatches(int v) { this.microBatches = v; return this; }
        /** Train for a fixed number of steps (clears epochs). */
        public Builder steps(long v) { this.steps = v; this.epochs = 0; return this; }
        /** Train for whole epochs (clears steps). */
        public Builder epochs(int v) { this.epochs = v; this.steps = 0; return this; }
        public Builder seed(long v) { this.seed = v; return this; }
        public Builder strategy(Strategy v) { this.strategy = v; return this; }
        public Builder shards(int v) { this.shards = v; return this; }
        public Builder workers(int min, int max) { this.minWorkers = min; this.maxWorkers = max; return this; }
        /** Write a checkpoint every {@code steps} steps (0 = only on demand). */
        public Builder checkpointEvery(long steps) { this.checkpointEvery = steps; return this; }
        /** The staleness bound s under ps-ssp (default {@value TrainingJob#DEFAULT_STALENESS}). */
        public Builder staleness(int s) { this.staleness = s; return this; }

        public TrainingJob build() {
            return new TrainingJob(jobId, model, dataset, optimizer, globalBatch, microBatches, steps, epochs,
                    seed, strategy, shards, minWorkers, maxWorkers, checkpointEvery, staleness);
        }
    }
}
