package io.flock.actors.checkpoint;

import io.flock.actors.api.TrainingJob;
import io.flock.actors.wire.FlockMessage;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything needed to resume a job at a step boundary: the job spec, the number of steps
 * applied (the batch-plan cursor: the plan is a pure function of the spec and the step), the
 * full parameter vector and the full optimizer state.
 *
 * @param version        steps applied; training resumes with step {@code version}
 * @param datasetSize    training samples, fixing the batch plan
 * @param params         flat parameters [n]
 * @param optimizerState optimizer state [rows, n]
 * @param createdMillis  wall-clock time it was taken
 */
public record Checkpoint(String jobId, long version, TrainingJob job, int datasetSize, INDArray params,
        INDArray optimizerState, long createdMillis) implements FlockMessage {}
