package io.flock.actors.api;

import io.flock.actors.job.TrainingResult;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The submitter's view of a running job: its id and the eventual result. Progress events go
 * to the listener given to {@link FlockNode#submit(TrainingJob, java.util.function.Consumer)}.
 */
public final class JobHandle {

    private final String jobId;
    private final CompletableFuture<TrainingResult> result;

    JobHandle(String jobId, CompletableFuture<TrainingResult> result) {
        this.jobId = jobId;
        this.result = result;
    }

    public String jobId() {
        return jobId;
    }

    /** Completes with the result, or exceptionally with a {@link JobFailedException}. */
    public CompletionStage<TrainingResult> result() {
        return result;
    }

    /** Thrown through {@link #result()} when the job fails; the message says why. */
    public static final class JobFailedException extends RuntimeException {
        public JobFailedException(String jobId, String reason) {
            super("job " + jobId + " failed: " + reason);
        }
    }
}
