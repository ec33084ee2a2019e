package io.flock.actors.node;

import com.typesafe.config.Config;

/**
 * Per-node settings read once from {@code flock.node}.
 *
 * @param workerSlots training slots (worker actors) this node hosts; 0 for a node that only
 *                    holds shards and may host the coordinator
 */
public record NodeSettings(int workerSlots) {

    public NodeSettings {
        if (workerSlots < 0) {
            throw new IllegalArgumentException("flock.node.worker-slots must be >= 0, got " + workerSlots);
        }
    }

    public static NodeSettings fromConfig(Config config) {
        return new NodeSettings(config.getInt("flock.node.worker-slots"));
    }
}
