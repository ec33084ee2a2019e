package io.flock.actors.checkpoint;

import io.flock.actors.job.TrainingJob;
import io.flock.tensor.data.BatchPlan;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything needed to resume a job at a step boundary: the job spec, the number of steps
 * applied (the batch-plan cursor: the plan is a pure function of the spec, the dataset size and
 * the step), the full parameter vector and the full optimizer state. Stored in its own file
 * format ({@link CheckpointStore}); it never travels between nodes.
 *
 * @param version        steps applied; training resumes with step {@code version}
 * @param datasetSize    training samples, fixing the batch plan
 * @param params         flat parameters [n]
 * @param optimizerState optimizer state [rows, n]
 * @param createdMillis  wall-clock time it was taken
 */
public record Checkpoint(String jobId, long version, TrainingJob job, int datasetSize, INDArray params,
        INDArray optimizerState, long createdMillis) {

    /** The job's batch plan. */
    public BatchPlan plan() {
        return new BatchPlan(job.seed(), datasetSize, job.globalBatch(), job.microBatches());
    }

    /** Epoch (0-based) of step {@code version}, the next step to train. */
    public long epoch() {
        return version / plan().stepsPerEpoch();
    }

    /** Position of step {@code version} within its epoch. */
    public long stepInEpoch() {
        return version % plan().stepsPerEpoch();
    }
}
