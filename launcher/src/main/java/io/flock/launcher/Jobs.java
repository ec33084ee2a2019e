package io.flock.launcher;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingResult;
import java.io.PrintWriter;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.ExitCode;

/** Small helpers the commands share for running jobs on an in-JVM {@link LocalCluster}. */
final class Jobs {

    private Jobs() {}

    /** Starts {@code nodes} nodes on 127.0.0.1 ephemeral ports. */
    static LocalCluster startCluster(int nodes, int workersPerNode) throws TimeoutException {
        return LocalCluster.start(nodes, workersPerNode, ConfigFactory.empty());
    }

    /** What a command does on a started cluster; returning normally means success. */
    @FunctionalInterface
    interface ClusterWork {
        void run(LocalCluster cluster) throws InterruptedException;
    }

    /**
     * Starts a cluster, runs {@code work} on it and stops it. Returns exit code 0, or 1 with the
     * reason on {@code err} when the cluster does not form or a job fails.
     */
    static int onLocalCluster(int nodes, int workersPerNode, PrintWriter err, ClusterWork work)
            throws InterruptedException {
        try (LocalCluster cluster = startCluster(nodes, workersPerNode)) {
            work.run(cluster);
            return ExitCode.OK;
        } catch (JobHandle.JobFailedException e) {
            err.println("Failed: " + e.getMessage());
        } catch (TimeoutException e) {
            err.println("The local cluster did not form: " + e.getMessage());
        }
        return ExitCode.SOFTWARE;
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

    /** The one-line summary of a finished job. */
    static void printSummary(PrintWriter out, TrainingResult r, double totalSeconds) {
        out.printf("Done: %d steps, final loss %.4f, test accuracy %.4f, training %.1f s (%.1f s with cluster start), "
                + "%,.0f samples/s%n", r.steps(), r.finalLoss(), r.testAccuracy(), r.elapsedMillis() / 1000.0,
                totalSeconds, r.samplesPerSecond());
        out.flush();
    }
}
