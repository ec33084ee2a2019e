package io.flock.actors.job;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;
import io.flock.actors.config.ConfigChecks;
import io.flock.strategies.Strategy;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The job-file form of a {@link TrainingJob}: a HOCON document with one {@code job { ... }} block
 * whose keys, types and defaults are those of {@code io/flock/actors/job/job-defaults.conf}.
 * Reading checks every key against the defaults, then the values against each other, and reports
 * each problem with the key as the user wrote it and the file and line it came from; writing
 * renders every key, so a job read back from its own rendering is equal to it.
 */
final class JobFile {

    /** Classpath resource with every job-file key, its default and its comment. */
    static final String DEFAULTS = "io/flock/actors/job/job-defaults.conf";

    private JobFile() {}

    static Config defaults() {
        return ConfigFactory.parseResources(JobFile.class.getClassLoader(), DEFAULTS,
                ConfigParseOptions.defaults().setAllowMissing(false));
    }

    static TrainingJob read(Path file) {
        Config given;
        try {
            given = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false)).resolve();
        } catch (ConfigException e) {
            throw new InvalidJobException("file " + file, List.of(e.getMessage()));
        }
        return read(given, "file " + file);
    }

    /** The seeds: 64-bit in {@link TrainingJob} and its specs, though their defaults read as ints. */
    private static final List<String> SEEDS = List.of("job.seed", "job.model.seed", "job.dataset.seed");

    /** Reads {@code given} (resolved; holds the {@code job} block); {@code source} heads the error. */
    static TrainingJob read(Config given, String source) {
        Config defaults = defaults();
        Config all = given.withFallback(defaults);
        List<String> problems = new ArrayList<>(ConfigChecks.problems(all, typesOf(defaults), "job"));
        if (!given.hasPath("job")) problems.add(0, "job: missing (a job file holds one job { ... } block)");
        if (problems.isEmpty()) problems.addAll(crossChecks(all.getConfig("job")));
        if (!problems.isEmpty()) throw new InvalidJobException(source, problems);
        try {
            return build(all.getConfig("job"));
        } catch (ConfigException | IllegalArgumentException e) {
            throw new InvalidJobException(source, List.of(e.getMessage()));
        }
    }

    /**
     * The defaults with each seed replaced by a 64-bit number, so that the type check accepts any
     * long seed (a job built in Java may carry one; its {@link #write} must read back).
     */
    private static Config typesOf(Config defaults) {
        Config types = defaults;
        for (String seed : SEEDS) types = types.withValue(seed, ConfigValueFactory.fromAnyRef(Long.MAX_VALUE));
        return types;
    }

    /** Where a job {@code Config} came from, for the error's header. */
    static String describe(Config config) {
        ConfigOrigin origin = config.origin();
        if (origin.filename() != null) return "file " + origin.filename();
        if (origin.url() != null) return "file " + origin.url();
        return "config (" + origin.description() + ")";
    }

    /** The range and consistency checks of {@link TrainingJob}'s constructor, in job-file keys. */
    private static List<String> crossChecks(Config c) {
        List<String> problems = new ArrayList<>();
        for (String seed : SEEDS) {
            String key = seed.substring("job.".length());
            Object v = c.getValue(key).unwrapped();
            if (!(v instanceof Integer || v instanceof Long)) {
                problems.add(seed + ": expected an integer (64-bit) but got " + c.getValue(key).render() + at(c, key));
            }
        }
        String id = c.getString("id");
        if (!id.isEmpty() && !id.matches("[A-Za-z0-9_.-]{1,64}")) {
            problems.add("job.id: '" + id + "' must be 1-64 characters of [A-Za-z0-9_.-]" + at(c, "id"));
        }
        int batch = c.getInt("batch");
        int micro = c.getInt("micro-batches");
        if (batch <= 0 || micro <= 0 || batch % micro != 0) {
            problems.add("job.batch (" + batch + ") must be a positive multiple of job.micro-batches (" + micro + ")"
                    + at(c, "batch"));
        }
        long steps = c.getLong("steps");
        int epochs = c.getInt("epochs");
        if (steps < 0) problems.add("job.steps: must be >= 0 (0 = train for job.epochs), got " + steps + at(c, "steps"));
        else if (steps == 0 && epochs <= 0) {
            problems.add("job.epochs: must be positive when job.steps is 0, got " + epochs + at(c, "epochs"));
        }
        if (c.getInt("shards") <= 0) problems.add("job.shards: must be positive, got " + c.getInt("shards") + at(c, "shards"));
        int min = c.getInt("workers.min");
        int max = c.getInt("workers.max");
        if (min <= 0 || max < min) {
            problems.add("job.workers: need 0 < min (" + min + ") <= max (" + max + ")" + at(c, "workers.min"));
        }
        long every = c.getLong("checkpoint-every");
        if (every < 0) {
            problems.add("job.checkpoint-every: must be >= 0 (0 = only on demand), got " + every + at(c, "checkpoint-every"));
        }
        int s = c.getInt("staleness");
        if (s < 0) {
            problems.add("job.staleness: must be >= 0 (steps a worker may run ahead of the slowest; 0 = lock-step), got "
                    + s + at(c, "staleness"));
        }
        return problems;
    }

    private static TrainingJob build(Config c) {
        TrainingJob.Builder b = TrainingJob.builder()
                .model(model(c))
                .dataset(dataset(c))
                .optimizer(optimizer(c))
                .globalBatch(c.getInt("batch")).microBatches(c.getInt("micro-batches"))
                .seed(c.getLong("seed"))
                .strategy(strategy(c))
                .staleness(c.getInt("staleness"))
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
            throw new IllegalArgumentException("job.strategy: " + e.getMessage() + at(c, "strategy"));
        }
    }

    private static IllegalArgumentException badType(Config section, String name, String valid) {
        return new IllegalArgumentException("job." + name + ".type: unknown type '" + section.getString("type")
                + "'; valid: " + valid + at(section, "type"));
    }

    private static String at(Config c, String path) {
        return ConfigChecks.at(c.getValue(path).origin());
    }

    /** Every key of the job file, so that reading it back gives {@code job} again. */
    static Config write(TrainingJob job) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("id", job.jobId());
        j.put("model", model(job.model()));
        j.put("dataset", dataset(job.dataset()));
        j.put("optimizer", optimizer(job.optimizer()));
        j.put("batch", job.globalBatch());
        j.put("micro-batches", job.microBatches());
        j.put("epochs", job.epochs());
        j.put("steps", job.steps());
        j.put("seed", job.seed());
        j.put("strategy", job.strategy().id());
        j.put("staleness", job.staleness());
        j.put("shards", job.shards());
        j.put("workers", Map.of("min", job.minWorkers(), "max", job.maxWorkers()));
        j.put("checkpoint-every", job.checkpointEvery());
        return ConfigFactory.empty("TrainingJob " + job.jobId()).withValue("job", ConfigValueFactory.fromMap(j));
    }

    private static Map<String, Object> model(ModelSpec spec) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (spec instanceof ModelSpec.Mlp mlp) {
            m.put("type", "mlp");
            m.put("inputs", mlp.inputs());
            m.put("hidden", java.util.Arrays.stream(mlp.hidden()).boxed().toList());
            m.put("classes", mlp.classes());
            m.put("seed", mlp.seed());
        } else if (spec instanceof ModelSpec.Cnn cnn) {
            m.put("type", "cnn");
            m.put("side", cnn.side());
            m.put("channels", cnn.channels());
            m.put("classes", cnn.classes());
            m.put("seed", cnn.seed());
        } else {
            throw new IllegalArgumentException("no job-file form for model " + spec);
        }
        return m;
    }

    private static Map<String, Object> dataset(DatasetSpec spec) {
        Map<String, Object> d = new LinkedHashMap<>();
        if (spec instanceof DatasetSpec.Idx idx) {
            d.put("type", "idx");
            d.put("dir", idx.dir());
        } else if (spec instanceof DatasetSpec.Csv csv) {
            d.put("type", "csv");
            d.put("train-file", csv.trainFile());
            d.put("test-file", csv.testFile());
            d.put("classes", csv.classes());
        } else if (spec instanceof DatasetSpec.Synthetic s) {
            d.put("type", "synthetic");
            d.put("train-size", s.trainSize());
            d.put("test-size", s.testSize());
            d.put("inputs", s.inputs());
            d.put("classes", s.classes());
            d.put("seed", s.seed());
        } else {
            throw new IllegalArgumentException("no job-file form for dataset " + spec);
        }
        return d;
    }

    private static Map<String, Object> optimizer(OptimizerSpec spec) {
        Map<String, Object> o = new LinkedHashMap<>();
        if (spec instanceof OptimizerSpec.Sgd sgd) {
            o.put("type", "sgd");
            o.put("learning-rate", sgd.learningRate());
        } else if (spec instanceof OptimizerSpec.Momentum m) {
            o.put("type", m.nesterov() ? "nesterov" : "momentum");
            o.put("learning-rate", m.learningRate());
            o.put("momentum", m.momentum());
        } else if (spec instanceof OptimizerSpec.Adam a) {
            o.put("type", "adam");
            o.put("learning-rate", a.learningRate());
            o.put("beta1", a.beta1());
            o.put("beta2", a.beta2());
            o.put("epsilon", a.epsilon());
        } else {
            throw new IllegalArgumentException("no job-file form for optimizer " + spec);
        }
        return o;
    }
}
