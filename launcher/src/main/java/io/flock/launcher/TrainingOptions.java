package io.flock.launcher;

import io.flock.strategies.Strategy;
import io.flock.actors.job.TrainingJob;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * Options shared by {@code demo} and {@code bench}: batch shape, shards, seed and data source,
 * and the job template they define (Fashion-MNIST MLP, Adam 1e-3, ps-bsp).
 */
final class TrainingOptions {

    static final double LEARNING_RATE = 1e-3;

    @Option(names = "--batch", defaultValue = "128", description = "Global batch size B (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--micro-batches", defaultValue = "8",
            description = "Micro-batches per step M; B must be divisible by M (default: ${DEFAULT-VALUE}).")
    int microBatches;

    @Option(names = "--shards", defaultValue = "2", description = "Parameter shards (default: ${DEFAULT-VALUE}).")
    int shards;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the model, batch plan and synthetic data "
            + "(default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--data", paramLabel = "DIR", description = "Directory with Fashion-MNIST IDX files.")
    Path data;

    @Option(names = "--synthetic", description = "Train on synthetic Fashion-MNIST-shaped data.")
    boolean synthetic;

    /** Refuses impossible values with a usage error (exit code 2) that names the flag. */
    void validate(CommandSpec spec) {
        requirePositive(spec, "--batch", batch);
        requirePositive(spec, "--micro-batches", microBatches);
        requirePositive(spec, "--shards", shards);
        if (batch % microBatches != 0) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--micro-batches': " + microBatches
                    + " does not divide --batch " + batch);
        }
    }

    /** A job builder with the model, optimizer, batch shape, shards and seed of these options. */
    TrainingJob.Builder jobTemplate() {
        return TrainingJob.builder()
                .model(ModelSpec.Mlp.fashionMnist(seed))
                .optimizer(OptimizerSpec.Adam.of(LEARNING_RATE))
                .globalBatch(batch).microBatches(microBatches)
                .shards(shards).seed(seed)
                .strategy(Strategy.PS_BSP);
    }

    /** Throws picocli's usage error unless {@code value > 0}. */
    static void requirePositive(CommandSpec spec, String flag, long value) {
        if (value <= 0) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '" + flag + "': " + value
                    + " (must be a positive integer)");
        }
    }
}
