package io.flock.actors.node;

import io.flock.actors.config.InvalidConfigException;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.FlockConfig;
import io.flock.actors.api.FlockNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigValidatorTest {

    @TempDir
    Path dir;

    @Test
    void validate_defaults_pass() {
        assertDoesNotThrow(() -> ConfigValidator.validate(FlockConfig.load()));
    }

    @Test
    void validate_unknownKeyInFile_namesKeyFileAndLine() throws IOException {
        var e = invalid("""
                flock.node {
                  worker-slots = 2
                  worker-slot = 3
                }
                """);

        assertEquals(1, e.problems().size(), e.getMessage());
        String problem = e.problems().get(0);
        assertTrue(problem.startsWith("flock.node.worker-slot: unknown key"), problem);
        assertTrue(problem.contains("node.conf:3"), problem);
    }

    @Test
    void validate_wrongTypes_nameKeyExpectedTypeAndLine() throws IOException {
        var e = invalid("""
                flock.node.worker-slots = two
                flock.node.host-shards = maybe
                flock.coordinator.evaluation-timeout = soon
                """);

        assertEquals(3, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("flock.node.worker-slots: expected an integer but got string \"two\"")
                && e.getMessage().contains("node.conf:1"), e.getMessage());
        assertTrue(e.getMessage().contains("flock.node.host-shards: expected a boolean (on/off)")
                && e.getMessage().contains("node.conf:2"), e.getMessage());
        assertTrue(e.getMessage().contains("flock.coordinator.evaluation-timeout: expected a duration")
                && e.getMessage().contains("node.conf:3"), e.getMessage());
    }

    @Test
    void validate_requiredValueSetToNull_isNamed() throws IOException {
        var e = invalid("flock.metrics.host = null\n");

        assertTrue(e.getMessage().contains("flock.metrics.host: required value is unset (")
                && e.getMessage().contains("node.conf:1"), e.getMessage());
    }

    @Test
    void validate_outOfRangeValue_isNamed() throws IOException {
        var e = invalid("flock.node.worker-slots = -1\n");

        assertTrue(e.getMessage().contains("flock.node.worker-slots must be >= 0, got -1"), e.getMessage());
    }

    @Test
    void validate_shortAdminToken_isRefused() throws IOException {
        var e = invalid("flock.admin.token = \"1234\"\n");

        assertTrue(e.getMessage().contains("flock.admin.token must be empty (admin HTTP off) or at least 16 characters"),
                e.getMessage());
    }

    @Test
    void autoAndStallSettingsOutOfRange_nameTheKey() throws IOException {
        var e = invalid("flock.auto.evaluate-every = 0\n");
        assertTrue(e.getMessage().contains("flock.auto.evaluate-every must be >= 1, got 0"), e.getMessage());

        e = invalid("flock.auto.probe-floats = [1024, 1024]\n");
        assertTrue(e.getMessage().contains("flock.auto.probe-floats needs at least two different positive sizes"),
                e.getMessage());

        e = invalid("flock.coordinator.stall-timeout = -5s\n");
        assertTrue(e.getMessage().contains("flock.coordinator.stall-timeout must be 0 (off) or positive"), e.getMessage());
    }

    @Test
    void validate_dataPlaneValuesOutOfRange_areNamed() throws IOException {
        var e = invalid("flock.data-plane.chunk-size = 0\n");
        assertTrue(e.getMessage().contains("flock.data-plane.chunk-size must be positive, got 0"), e.getMessage());

        e = invalid("flock.data-plane.chunk-size = 1048576\nflock.data-plane.max-frame = 1 MiB\n");
        assertTrue(e.getMessage().contains("flock.data-plane.max-frame must hold chunk-size float32 values"), e.getMessage());

        e = invalid("flock.data-plane.connect-timeout = never\n");
        assertTrue(e.getMessage().contains("flock.data-plane.connect-timeout: expected a duration"), e.getMessage());
    }

    @Test
    void validate_dispatcherTuning_isLeftToPekko() {
        Config config = FlockConfig.load(ConfigFactory.parseString(
                "flock.worker-dispatcher.thread-pool-executor.core-pool-size-min = 4"));

        assertDoesNotThrow(() -> ConfigValidator.validate(config));
    }

    @Test
    void flockNodeStart_invalidConfig_failsBeforeStarting() {
        var e = assertThrows(io.flock.actors.config.InvalidConfigException.class,
                () -> FlockNode.start(ConfigFactory.parseString("flock.nodes.worker-slots = 1")));

        assertTrue(e.getMessage().contains("flock.nodes: unknown key")
                || e.getMessage().contains("flock.nodes.worker-slots: unknown key"), e.getMessage());
    }

    private io.flock.actors.config.InvalidConfigException invalid(String text) throws IOException {
        Path file = dir.resolve("node.conf");
        Files.writeString(file, text);
        Config config = FlockConfig.load(ConfigFactory.parseFile(file.toFile()));
        return assertThrows(io.flock.actors.config.InvalidConfigException.class, () -> ConfigValidator.validate(config));
    }
}
