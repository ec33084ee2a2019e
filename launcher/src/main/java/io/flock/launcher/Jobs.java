package io.flock.launcher;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.api.TrainingResult;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Small helpers the commands share for running jobs on an in-JVM {@link LocalCluster}. */
final class Jobs {

    private Jobs() {}

    /** Starts {@code nodes} nodes on 127.0.0.1 ephemeral ports with Flock's defaults. */
    static LocalCluster startCluster(int nodes, int workersPerNode) throws TimeoutException {
        return LocalCluster.start(nodes, workersPerNode, ConfigFactory.empty());
    }

    /**
     * Waits for the job's result.
     *
     * @throws JobHandle.JobFailedException when the job failed (its message says why)
     */
    static TrainingResult await(JobHandle handle) throws InterruptedException {
        try {
            return handle.result().toCompletableFuture().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException("job " + handle.jobId() + " failed", e.getCause());
        }
    }
}
