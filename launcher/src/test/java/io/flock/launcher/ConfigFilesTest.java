package io.flock.launcher;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.FlockConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The deployable files in config/ stay valid as the settings evolve. */
class ConfigFilesTest {

    static final Path CONFIG = Path.of("..", "config");

    @ParameterizedTest
    @ValueSource(strings = {"seed-node.conf", "worker-node.conf"})
    void nodeConfig_passesValidationAndNamesSeeds(String file) {
        Config config = FlockConfig.load(ConfigFactory.parseFile(CONFIG.resolve(file).toFile()));

        assertDoesNotThrow(() -> FlockConfig.validate(config));
        assertDoesNotThrow(() -> NodeCommand.requireSeedNodes(config));
    }

    @Test
    void jobExample_parses() throws Exception {
        assertEquals("fmnist-mlp", io.flock.actors.job.TrainingJob.fromFile(CONFIG.resolve("job-example.conf")).jobId());
    }
}
