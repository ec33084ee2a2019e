package io.flock.actors.coordinator;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The coordinator's tuning, read once from {@code flock.coordinator}, {@code flock.checkpoint}
 * and {@code flock.auto} (see reference.conf for units and what "off" means).
 *
 * @param evaluationTimeout how long an evaluation or a gradient audit waits for silent shards
 * @param stallTimeout      a running job that commits no step for this long is re-synced; zero: off
 * @param resyncRetry       re-syncs and audits re-ask shards that have not answered this often
 * @param checkpointTimeout once one shard sent its snapshot, how long a checkpoint waits for the others
 */
public record CoordinatorSettings(Duration evaluationTimeout, Duration stallTimeout, Duration resyncRetry,
        Duration checkpointTimeout, Path checkpointDir, int checkpointKeep, AutoStrategy.Settings auto) {

    public CoordinatorSettings {
        if (stallTimeout.isNegative()) {
            throw new IllegalArgumentException("flock.coordinator.stall-timeout must be 0 (off) or positive, got "
                    + stallTimeout);
        }
        if (resyncRetry.isNegative() || resyncRetry.isZero()) {
            throw new IllegalArgumentException("flock.coordinator.resync-retry must be positive, got " + resyncRetry);
        }
    }

    public static CoordinatorSettings fromConfig(Config config) {
        Config c = config.getConfig("flock.coordinator");
        return new CoordinatorSettings(c.getDuration("evaluation-timeout"), c.getDuration("stall-timeout"),
                c.getDuration("resync-retry"), config.getDuration("flock.checkpoint.timeout"),
                Path.of(config.getString("flock.checkpoint.dir")), config.getInt("flock.checkpoint.keep"),
                AutoStrategy.Settings.fromConfig(config));
    }
}
