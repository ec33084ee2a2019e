package io.flock.actors.job;

import io.flock.strategies.Strategy;
import io.flock.actors.wire.FlockMessage;

/** Progress of a job, as seen by its submitter. Delivered in order for one job. */
public sealed interface TrainingEvent extends FlockMessage {

    String jobId();

    /** The job has its shards and workers and is about to run step {@code firstStep}. */
    record Started(String jobId, long firstStep, long totalSteps, long stepsPerEpoch, int workers, int shards,
            Strategy strategy, long numParams) implements TrainingEvent {}

    /**
     * Step {@code step} (0-based) was computed by all micro-batches.
     *
     * @param loss             mean loss over the step's micro-batches
     * @param samplesPerSecond samples of this step ÷ wall time since the previous step completed
     */
    record StepCompleted(String jobId, long step, long epoch, double loss, double samplesPerSecond, int workers)
            implements TrainingEvent {}

    /** Test-set evaluation after the last step of {@code epoch}. */
    record EpochCompleted(String jobId, long epoch, long step, double testAccuracy) implements TrainingEvent {}

    /**
     * The set of workers changed (a worker joined, left or became unreachable): from
     * {@code fromStep} on, {@code workers} workers take part under membership {@code epoch}.
     */
    record MembershipChanged(String jobId, long epoch, int workers, long fromStep) implements TrainingEvent {}

    /**
     * From step {@code atStep} on the job synchronises with {@code to} instead of {@code from}:
     * parameters, optimizer state and step carried over. {@code reason}: who asked, or the
     * {@code auto} policy's explanation.
     */
    record StrategyChanged(String jobId, Strategy from, Strategy to, long atStep, String reason)
            implements TrainingEvent {}

    /** The {@code auto} policy evaluated the measurements at {@code step}: its decision and why. */
    record StrategyDecided(String jobId, long step, Strategy current, Strategy choice, String reason)
            implements TrainingEvent {}

    /** Fewer than the job's minimum workers are reachable: training waits at {@code step}, state kept. */
    record Paused(String jobId, long step, int workers, int minWorkers) implements TrainingEvent {}

    /** A checkpoint of the state after {@code step} steps was written to {@code path}. */
    record CheckpointWritten(String jobId, long step, String path) implements TrainingEvent {}

    /**
     * The job resumed from the checkpoint at {@code path} (after {@code step} steps); newer
     * checkpoint files that could not be used are listed in {@code rejected} with the reason.
     */
    record Restored(String jobId, long step, String path, String[] rejected) implements TrainingEvent {}

    /**
     * Under ps-ssp / ps-asp, after a membership change: the coordinator checked the gradients whose
     * acknowledgement it had seen reported — {@code acknowledged} (clock, micro-batch) pairs — against
     * every shard's applied state; {@code missing} counts the (shard, gradient) pairs not applied
     * (the job fails when that is not 0). {@code recoveredShards} shards answered from a primary that had
     * recovered its backup's state.
     */
    record GradientsAudited(String jobId, long epoch, long acknowledged, long missing, int recoveredShards)
            implements TrainingEvent {}

    /** The job ended; {@link TrainingResult} holds the final parameters. */
    record Completed(String jobId, TrainingResult result) implements TrainingEvent {}

    /** The job cannot go on; {@code reason} says why. */
    record Failed(String jobId, String reason) implements TrainingEvent {}
}
