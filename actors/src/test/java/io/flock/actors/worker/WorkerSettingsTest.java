package io.flock.actors.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WorkerSettingsTest {

    @Test
    void fromConfig_reference_fiveSecondPullRetry() {
        WorkerSettings settings = WorkerSettings.fromConfig(ConfigFactory.load());
        assertEquals(Duration.ofSeconds(5), settings.pullRetry());
        assertEquals(WorkerSettings.DEFAULTS, settings);
    }

    @Test
    void fromConfig_override_read() {
        WorkerSettings settings = WorkerSettings.fromConfig(
                ConfigFactory.parseString("flock.worker.pull-retry = 250ms").withFallback(ConfigFactory.load()));
        assertEquals(Duration.ofMillis(250), settings.pullRetry());
    }

    @Test
    void constructor_zeroRetry_refused() {
        assertThrows(IllegalArgumentException.class, () -> new WorkerSettings(Duration.ZERO));
    }
}
