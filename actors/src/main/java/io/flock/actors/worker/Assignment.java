package io.flock.actors.worker;

import io.flock.actors.job.TrainingJob;
import io.flock.strategies.Strategy;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.wire.FlockMessage;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A worker's part in a job under one membership view.
 *
 * @param job         the job spec (workers build model, dataset and batch plan from it)
 * @param epoch       membership epoch; a view with a lower epoch is stale
 * @param rank        this worker's index in the view; under PS it computes micro-batches m ≡ rank (mod workers)
 * @param workers     number of workers in the view
 * @param startStep   first step to take part in
 * @param totalSteps  steps of the whole job
 * @param shardBounds S + 1 offsets: shard s owns parameters [bounds[s], bounds[s+1])
 * @param datasetSize training samples (with the job spec it fixes the {@link io.flock.tensor.data.BatchPlan})
 * @param client      the submitter's event receiver; with the rest of this record it is all a new
 *                    coordinator needs to adopt the job after a failover
 * @param strategy    how this view synchronises; under a collective one (ring, tree) micro-batches
 *                    are held in contiguous {@link io.flock.strategies.MicroBatchBlocks} instead
 * @param peers       collective only: the data-plane address ("host:port") of every rank
 * @param replicaSource collective only: the worker to copy the replica at {@code startStep} from
 *                    when this worker does not hold it; null = assemble it from the shards
 */
public record Assignment(TrainingJob job, long epoch, int rank, int workers, long startStep, long totalSteps,
        long[] shardBounds, int datasetSize, ActorRef<TrainingEvent> client, Strategy strategy, String[] peers,
        ActorRef<Worker.Command> replicaSource) implements FlockMessage {

    public String jobId() {
        return job.jobId();
    }
}
