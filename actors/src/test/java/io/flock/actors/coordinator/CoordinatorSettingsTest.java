package io.flock.actors.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.strategies.Strategy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CoordinatorSettingsTest {

    @Test
    void fromConfig_referenceDefaults_keepTheFormerHardCodedValues() {
        CoordinatorSettings s = CoordinatorSettings.fromConfig(ConfigFactory.load());
        assertEquals(Duration.ofSeconds(60), s.evaluationTimeout());
        assertEquals(Duration.ofSeconds(30), s.stallTimeout());
        assertEquals(Duration.ofSeconds(2), s.resyncRetry());
        assertEquals(Duration.ofSeconds(60), s.checkpointTimeout());
        assertEquals(3, s.checkpointKeep());
        assertEquals(10, s.auto().evaluateEvery());
    }

    @Test
    void fromConfig_stallTimeoutZero_isOff() {
        CoordinatorSettings s = CoordinatorSettings.fromConfig(ConfigFactory.parseString(
                "flock.coordinator.stall-timeout = 0s").withFallback(ConfigFactory.load()));
        assertTrue(s.stallTimeout().isZero());
    }

    @Test
    void fromConfig_negativeStallOrZeroRetry_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> CoordinatorSettings.fromConfig(ConfigFactory.parseString(
                "flock.coordinator.stall-timeout = -1s").withFallback(ConfigFactory.load())));
        assertThrows(IllegalArgumentException.class, () -> CoordinatorSettings.fromConfig(ConfigFactory.parseString(
                "flock.coordinator.resync-retry = 0s").withFallback(ConfigFactory.load())));
    }

    @Test
    void families_decideWhereStateLives() {
        assertTrue(Families.replicated(Strategy.RING) && Families.replicated(Strategy.TREE));
        assertTrue(!Families.replicated(Strategy.PS_BSP) && !Families.replicated(Strategy.PS_SSP));
        assertTrue(Families.appliesOnArrival(Strategy.PS_SSP) && Families.appliesOnArrival(Strategy.PS_ASP));
        assertTrue(!Families.appliesOnArrival(Strategy.PS_BSP) && !Families.appliesOnArrival(Strategy.RING));
        assertEquals(Strategy.PS_BSP, Families.shardMode(Strategy.TREE));
        assertEquals(Strategy.PS_SSP, Families.shardMode(Strategy.PS_SSP));
    }
}
