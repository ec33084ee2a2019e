package io.flock.actors.job;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Outcome of a completed job.
 *
 * @param jobId          the job
 * @param steps          steps applied
 * @param finalLoss      mean training loss of the last step
 * @param testAccuracy   accuracy of the final parameters on the test split
 * @param params         the final flat parameter vector
 * @param elapsedMillis  wall time from start of step 0 to the last step's commit
 * @param samplesPerSecond mean training throughput over the job
 */
public record TrainingResult(String jobId, long steps, double finalLoss, double testAccuracy, INDArray params,
        long elapsedMillis, double samplesPerSecond) {}
