package io.flock.actors.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ShardSettingsTest {

    @Test
    void fromConfig_referenceDefaults_areTheFormerHardCodedTimings() {
        ShardSettings s = ShardSettings.fromConfig(ConfigFactory.load());
        assertEquals(new ShardSettings(Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMillis(200), 10_000), s);
    }

    @Test
    void fromConfig_override_isRead() {
        ShardSettings s = ShardSettings.fromConfig(ConfigFactory.parseString("flock.shard.backup-stall-timeout = 3s")
                .withFallback(ConfigFactory.load()));
        assertEquals(Duration.ofSeconds(3), s.backupStallTimeout());
    }

    @Test
    void constructor_zeroTimeout_isRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new ShardSettings(Duration.ZERO, Duration.ofSeconds(2), Duration.ofMillis(200), 10));
    }
}
