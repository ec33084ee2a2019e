package io.flock.actors.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.flock.actors.api.FlockConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DataPlaneSettingsTest {

    @Test
    void fromConfig_referenceDefaults_matchDefaultsConstant() {
        assertEquals(DataPlaneSettings.DEFAULTS, DataPlaneSettings.fromConfig(FlockConfig.load()));
    }

    @Test
    void chunkSizeFor_aboutSixteenChunksBetweenTheBounds() {
        DataPlaneSettings s = DataPlaneSettings.DEFAULTS; // chunk-size 1Mi values
        assertEquals(1 << 20, s.chunkSizeFor(16L << 20), "16M floats: 16 chunks of 1Mi");
        assertEquals(1 << 20, s.chunkSizeFor(64L << 20), "capped at chunk-size");
        assertEquals(1 << 18, s.chunkSizeFor(4L << 20), "4M floats: 16 chunks of 256Ki");
        assertEquals(1 << 18, s.chunkSizeFor(235_146), "small vectors: one chunk of at least 256Ki");
        DataPlaneSettings tiny = new DataPlaneSettings(0, 1000, Duration.ofSeconds(1), 1 << 20, 1 << 20, 0);
        assertEquals(1000, tiny.chunkSizeFor(1L << 20), "never above chunk-size");
    }

    @Test
    void constructor_maxFrameSmallerThanAChunk_isRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new DataPlaneSettings(0, 1 << 20, Duration.ofSeconds(1), 1 << 20, 1L << 30, 0));
    }
}
