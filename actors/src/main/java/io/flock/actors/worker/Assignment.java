package io.flock.actors.worker;

import io.flock.actors.api.TrainingJob;
import io.flock.actors.api.TrainingEvent;
import io.flock.actors.wire.FlockMessage;
import org.apache.pekko.actor.typed.ActorRef;

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
 * @param datasetSize training samples (with the job spec it fixes the {@link io.flock.tensor.data.BatchPlan})
 * @param client      the submitter's event receiver; with the rest of this record it is all a new
 *                    coordinator needs to adopt the job after a failover
 */
public record Assignment(TrainingJob job, long epoch, int rank, int workers, long startStep, long totalSteps,
        long[] shardBounds, int datasetSize, ActorRef<TrainingEvent> client) implements FlockMessage {

    public String jobId() {
        return job.jobId();
    }
}
