package io.flock.actors.shard;

import io.flock.tensor.optim.OptimizerSpec;
import org.slf4j.Logger;

/** Which shard a serving mode serves (entity, job, index) and how its state updates (optimizer, micro-batches). */
record ShardSpec(String entityId, String jobId, int shardIndex, OptimizerSpec optimizer, int microBatches) {

    /** True for a message of this shard's job; logs and drops one for another job. */
    boolean owns(String job, Logger log) {
        if (job.equals(jobId)) return true;
        log.warn("{}: dropping message for job {} (holding {})", entityId, job, jobId);
        return false;
    }

    /** The image of a shard in this spec: what a backup is created from. */
    ShardImage image(io.flock.strategies.BspShardState.Exported state, ShardImage.Ssp ssp) {
        return new ShardImage(jobId, shardIndex, optimizer, microBatches, state).withSsp(ssp);
    }
}
