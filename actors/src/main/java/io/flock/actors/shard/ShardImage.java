package io.flock.actors.shard;

import io.flock.actors.wire.FlockMessage;
import io.flock.strategies.BspShardState;
import io.flock.strategies.SspShardState;
import io.flock.tensor.optim.OptimizerSpec;

/**
 * Everything that makes one shard: its identity, update rule and applied state. What a primary
 * sends to create its backup and what a backup hands to a re-created primary. Under ps-ssp or
 * ps-asp {@code ssp} holds the live state and {@code state} the BSP state as it was when the
 * shard switched (unused until it switches back); under ps-bsp {@code ssp} is null.
 */
public record ShardImage(String jobId, int shardIndex, OptimizerSpec optimizer, int microBatches,
        BspShardState.Exported state, Ssp ssp) implements FlockMessage {

    /** The ps-ssp / ps-asp part: staleness bound ({@code SspClock.ASP} for ps-asp) and state. */
    public record Ssp(int staleness, SspShardState.Exported state) implements FlockMessage {}

    /** The image of a shard running ps-bsp. */
    public ShardImage(String jobId, int shardIndex, OptimizerSpec optimizer, int microBatches,
            BspShardState.Exported state) {
        this(jobId, shardIndex, optimizer, microBatches, state, null);
    }

    ShardImage withState(BspShardState.Exported newState) {
        return new ShardImage(jobId, shardIndex, optimizer, microBatches, newState, ssp);
    }

    ShardImage withSsp(Ssp newSsp) {
        return new ShardImage(jobId, shardIndex, optimizer, microBatches, state, newSsp);
    }
}
