package io.flock.actors.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.actors.admin.AdminSettings;
import io.flock.actors.config.ConfigChecks;
import io.flock.actors.config.InvalidConfigException;
import io.flock.actors.dataplane.DataPlaneSettings;
import io.flock.actors.metrics.MetricsSettings;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a node's resolved configuration before anything starts: every key under {@code flock}
 * must exist in the defaults (the modules' {@code reference.conf}) with the defaults' type
 * ({@link ConfigChecks}), and settings are read once as a node would, so their range checks
 * become problems too. Each problem names the key and where it was set.
 */
public final class ConfigValidator {

    private ConfigValidator() {}

    /** Validates {@code config} against the {@code flock} keys of every {@code reference.conf} on the classpath. */
    public static void validate(Config config) {
        validate(config, ConfigFactory.defaultReference(ConfigValidator.class.getClassLoader()));
    }

    /**
     * Validates {@code config} (resolved) against the {@code flock} keys of {@code defaults}.
     *
     * @throws InvalidConfigException listing every problem
     */
    public static void validate(Config config, Config defaults) {
        List<String> problems = new ArrayList<>(ConfigChecks.problems(config, defaults, "flock"));
        if (problems.isEmpty()) checkSettings(config, problems);
        if (!problems.isEmpty()) throw new InvalidConfigException(problems);
    }

    /** Reads the settings records the node reads, turning their range checks into problems. */
    private static void checkSettings(Config config, List<String> problems) {
        try {
            NodeSettings.fromConfig(config);
            MetricsSettings.fromConfig(config);
            AdminSettings.fromConfig(config);
            DataPlaneSettings.fromConfig(config);
            io.flock.actors.coordinator.CoordinatorSettings.fromConfig(config); // with flock.auto
            io.flock.actors.worker.WorkerSettings.fromConfig(config);
            io.flock.actors.shard.ShardSettings.fromConfig(config);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
    }

}
