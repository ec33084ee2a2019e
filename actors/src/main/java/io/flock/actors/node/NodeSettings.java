package io.flock.actors.node;

import com.typesafe.config.Config;

/**
 * Per-node settings read once from {@code flock.node}.
 *
 * @param workerSlots training slots (worker actors) this node hosts; 0 for a node that only
 *                    holds shards and may host the coordinator
 * @param hostShards  whether this node holds parameter shards and shard backups
 */
public record NodeSettings(int workerSlots, boolean hostShards) {

    public NodeSettings {
        if (workerSlots < 0) {
            throw new IllegalArgumentException("flock.node.worker-slots must be >= 0, got " + workerSlots);
        }
    }

    public static NodeSettings fromConfig(Config config) {
        return new NodeSettings(config.getInt("flock.node.worker-slots"), config.getBoolean("flock.node.host-shards"));
    }
}
