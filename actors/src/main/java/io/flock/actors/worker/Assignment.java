package io.flock.actors.worker;

import io.flock.actors.api.TrainingJob;
import io.flock.actors.wire.FlockMessage;

/**
 * A worker's part in a job under one membership view.
 *
 * @param job         the job spec (workers build model, dataset and batch plan from it)
 * @param epoch       membership epoch; a view with a lower epoch is stale
 * @param rank        this worker's index in the view; it computes micro-batches m ≡ rank (mod workers)
 * @param workers     number of workers in the view
 * @param startStep   first step to take part in
 * @param totalSteps  steps of the whole job
 * @param shardBounds S + 1 offsets: shard s owns parameters [bounds[s], bounds[s+1])
 */
public record Assignment(TrainingJob job, long epoch, int rank, int workers, long startStep, long totalSteps,
        long[] shardBounds) implements FlockMessage {

    public String jobId() {
        return job.jobId();
    }
}
