package io.flock.actors.shard;

import io.flock.actors.wire.FlockMessage;
import io.flock.strategies.BspShardState;
import io.flock.tensor.optim.OptimizerSpec;

/**
 * Everything that makes one shard: its identity, update rule and applied state. What a primary
 * sends to create its backup and what a backup hands to a re-created primary.
 */
public record ShardImage(String jobId, int shardIndex, OptimizerSpec optimizer, int microBatches,
        BspShardState.Exported state) implements FlockMessage {

    ShardImage withState(BspShardState.Exported newState) {
        return new ShardImage(jobId, shardIndex, optimizer, microBatches, newState);
    }
}
