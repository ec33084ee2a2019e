package io.flock.launcher;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.flock.strategies.Strategy;
import io.flock.actors.api.TrainingJob;
import io.flock.actors.node.ConfigValidator;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a HOCON job file ({@code job { model, dataset, optimizer, batch, epochs, ... }}) into a
 * {@link TrainingJob}. Keys, types and defaults are those of {@code io/flock/launcher/job-defaults.conf};
 * every error names the key and the file and line it came from.
 */
final class JobSpecParser {

    static final String DEFAULTS = "io/flock/launcher/job-defaults.conf";

    /** The job file is unusable; the message lists every problem, one per line. */
    static final class InvalidJobException extends Exception {
        InvalidJobException(File file, List<String> problems) {
            super("invalid job file " + file + ":\n  " + String.join("\n  ", problems));
        }
    }

    private JobSpecParser() {}

    static TrainingJob parse(File file) throws InvalidJobException {
        return parse(file, false);
    }

    /**
     * Parses {@code file}; with {@code idRequired} (resuming from a checkpoint, whose files are
     * named after the job id) a missing or empty {@code job.id} is an error instead of a random id.
     */
    static TrainingJob parse(File file, boolean idRequired) throws InvalidJobException {
        Config given;
        try {
            given = ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false)).resolve();
        } catch (ConfigException e) {
            throw new InvalidJobException(file, List.of(e.getMessage()));
        }
        Config defaults = ConfigFactory.parseResources(JobSpecParser.class.getClassLoader(), DEFAULTS,
                ConfigParseOptions.defaults().setAllowMissing(false));
        Config job = given.withFallback(defaults);
        List<String> problems = new ArrayList<>(ConfigValidator.problems(job, defaults, "job"));
        if (!given.hasPath("job")) problems.add(0, "job: missing (a job file holds one job { ... } block)");
        if (idRequired && problems.isEmpty() && job.getString("job.id").isEmpty()) {
            problems.add("job.id: required to resume (checkpoint files are named <job.id>-<step>.ckpt); set the id "
                    + "the job ran with");
        }
        if (!problems.isEmpty()) throw new InvalidJobException(file, problems);
        try {
            return build(job.getConfig("job"));
        } catch (ConfigException | IllegalArgumentException e) {
            throw new InvalidJobException(file, List.of(e.getMessage()));
        }
    }

    private static TrainingJob build(Config c) {
        Strategy strategy = strategy(c);
        TrainingJob.Builder b = TrainingJob.builder()
                .model(model(c))
                .dataset(dataset(c))
                .optimizer(optimizer(c))
                .globalBatch(c.getInt("batch")).microBatches(c.getInt("micro-batches"))
                .seed(c.getLong("seed"))
                .strategy(strategy)
                .staleness(staleness(c))
                .shards(c.getInt("shards"))
                .workers(c.getInt("workers.min"), c.getInt("workers.max"))
                .checkpointEvery(c.getLong("checkpoint-every"));
        if (!c.getString("id").isEmpty()) b.jobId(c.getString("id"));
        return (c.getLong("steps") > 0 ? b.steps(c.getLong("steps")) : b.epochs(c.getInt("epochs"))).build();
    }

    private static ModelSpec model(Config c) {
        Config m = c.getConfig("model");
        return switch (m.getString("type")) {
            case "mlp" -> new ModelSpec.Mlp(m.getInt("inputs"),
                    m.getIntList("hidden").stream().mapToInt(Integer::intValue).toArray(), m.getInt("classes"), m.getLong("seed"));
            case "cnn" -> new ModelSpec.Cnn(m.getInt("side"), m.getInt("channels"), m.getInt("classes"), m.getLong("seed"));
            default -> throw badType(m, "model", "mlp, cnn");
        };
    }

    private static DatasetSpec dataset(Config c) {
        Config d = c.getConfig("dataset");
        return switch (d.getString("type")) {
            case "idx" -> new DatasetSpec.Idx(d.getString("dir"));
            case "csv" -> new DatasetSpec.Csv(d.getString("train-file"), d.getString("test-file"), d.getInt("classes"));
            case "synthetic" -> new DatasetSpec.Synthetic(d.getInt("train-size"), d.getInt("test-size"),
                    d.getInt("inputs"), d.getInt("classes"), d.getLong("seed"));
            default -> throw badType(d, "dataset", "idx, csv, synthetic");
        };
    }

    private static OptimizerSpec optimizer(Config c) {
        Config o = c.getConfig("optimizer");
        double lr = o.getDouble("learning-rate");
        return switch (o.getString("type")) {
            case "sgd" -> new OptimizerSpec.Sgd(lr);
            case "momentum" -> new OptimizerSpec.Momentum(lr, o.getDouble("momentum"), false);
            case "nesterov" -> new OptimizerSpec.Momentum(lr, o.getDouble("momentum"), true);
            case "adam" -> new OptimizerSpec.Adam(lr, o.getDouble("beta1"), o.getDouble("beta2"), o.getDouble("epsilon"));
            default -> throw badType(o, "optimizer", "sgd, momentum, nesterov, adam");
        };
    }

    private static Strategy strategy(Config c) {
        try {
            return Strategy.parse(c.getString("strategy"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("job.strategy: " + e.getMessage() + ConfigValidator.at(c.getValue("strategy").origin()));
        }
    }

    private static int staleness(Config c) {
        int s = c.getInt("staleness");
        String at = ConfigValidator.at(c.getValue("staleness").origin());
        if (s < 0) {
            throw new IllegalArgumentException("job.staleness: must be >= 0 (steps a worker may run ahead of the "
                    + "slowest; 0 = lock-step), got " + s + at);
        }
        return s;
    }

    private static IllegalArgumentException badType(Config section, String name, String valid) {
        return new IllegalArgumentException("job." + name + ".type: unknown type '" + section.getString("type")
                + "'; valid: " + valid + ConfigValidator.at(section.getValue("type").origin()));
    }
}
