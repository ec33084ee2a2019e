package io.flock.actors.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.FlockConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AdminSettingsTest {

    @Test
    void fromConfig_defaults_keepTheFormerlyHardCodedTimeouts() {
        AdminSettings s = AdminSettings.fromConfig(FlockConfig.load());

        assertEquals(Duration.ofSeconds(5), s.askTimeout());
        assertEquals(Duration.ofSeconds(120), s.actionTimeout());
        assertEquals(Duration.ofSeconds(30), s.bindTimeout());
        assertEquals(Duration.ofSeconds(5), s.unbindDeadline());
        assertEquals(false, s.enabled());
    }

    @Test
    void fromConfig_overrides_areRead() {
        AdminSettings s = AdminSettings.fromConfig(FlockConfig.load(ConfigFactory.parseString(
                "flock.admin { ask-timeout = 250ms, action-timeout = 3s, bind-timeout = 7s, unbind-deadline = 1s }")));

        assertEquals(Duration.ofMillis(250), s.askTimeout());
        assertEquals(Duration.ofSeconds(3), s.actionTimeout());
        assertEquals(Duration.ofSeconds(7), s.bindTimeout());
        assertEquals(Duration.ofSeconds(1), s.unbindDeadline());
    }

    @Test
    void fromConfig_zeroTimeout_isRejectedNamingTheKey() {
        var e = assertThrows(IllegalArgumentException.class, () -> AdminSettings.fromConfig(FlockConfig.load(
                ConfigFactory.parseString("flock.admin.action-timeout = 0s"))));

        assertTrue(e.getMessage().contains("flock.admin.action-timeout"), e.getMessage());
    }
}
