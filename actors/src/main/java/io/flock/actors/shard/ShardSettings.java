package io.flock.actors.shard;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * A parameter shard's timings, read once from {@code flock.shard} (see reference.conf).
 *
 * @param backupStallTimeout how long the backup may lag a version the primary applied before the
 *                           primary places a fresh backup from its current state
 * @param hostRetry          how long a primary waits for backup hosts to answer (placing or finding
 *                           its backup) before it looks them up again
 * @param hostGossipRetry    how soon a primary looks again when other shard nodes are Up but none of
 *                           their backup hosts is listed yet
 * @param stashCapacity      messages a shard holds while it places or recovers its backup
 */
public record ShardSettings(Duration backupStallTimeout, Duration hostRetry, Duration hostGossipRetry,
        int stashCapacity) {

    public ShardSettings {
        if (backupStallTimeout.isNegative() || backupStallTimeout.isZero()
                || hostRetry.isNegative() || hostRetry.isZero()
                || hostGossipRetry.isNegative() || hostGossipRetry.isZero()) {
            throw new IllegalArgumentException("flock.shard timings must be positive, got " + backupStallTimeout + ", "
                    + hostRetry + ", " + hostGossipRetry);
        }
        if (stashCapacity < 1) {
            throw new IllegalArgumentException("flock.shard.stash-capacity must be >= 1, got " + stashCapacity);
        }
    }

    public static ShardSettings fromConfig(Config config) {
        Config c = config.getConfig("flock.shard");
        return new ShardSettings(c.getDuration("backup-stall-timeout"), c.getDuration("host-retry"),
                c.getDuration("host-gossip-retry"), c.getInt("stash-capacity"));
    }
}
