package io.flock.launcher;

import io.flock.actors.api.FlockNode;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.TrainingJob;
import io.flock.actors.api.TrainingResult;
import io.flock.actors.node.ConfigValidator;
import java.io.File;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code flock train <job-file>}: joins a running cluster as a client node, submits the job the
 * HOCON file describes, shows its progress until it ends and leaves. Exit codes: 0 the job
 * completed, 1 it failed or the cluster could not be joined, 2 bad usage or an invalid job file.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Submit a job (HOCON job file, see config/job-example.conf) to a running cluster and follow it.")
final class TrainCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Mixin
    LoggingOptions logging;

    @Parameters(index = "0", paramLabel = "JOB-FILE", description = "The job file.")
    File jobFile;

    @Option(names = "--join-timeout", defaultValue = "30s", description = "How long to try joining (default: ${DEFAULT-VALUE}).")
    String joinTimeout;

    @Override
    public Integer call() throws InterruptedException {
        logging.apply();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TrainingJob job;
        try {
            job = JobSpecParser.parse(jobFile);
        } catch (JobSpecParser.InvalidJobException e) {
            err.println("flock train: " + e.getMessage());
            err.flush();
            return ExitCode.USAGE;
        }
        long startNanos = System.nanoTime();
        try (FlockNode node = ClientNode.join(cluster, spec, Duration.parse("PT" + joinTimeout.toUpperCase()))) {
            out.printf("Joined the cluster as %s; submitting job %s%n", node.address(), job.jobId());
            out.flush();
            ProgressReporter progress = new ProgressReporter(out, err, System.console() != null, System::nanoTime);
            TrainingResult result = Jobs.await(node.submit(job, progress));
            Jobs.printSummary(out, result, (System.nanoTime() - startNanos) / 1e9);
            return ExitCode.OK;
        } catch (ConfigValidator.InvalidConfigException e) {
            err.println("flock train: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (TimeoutException e) {
            err.println("flock train: " + e.getMessage());
        } catch (JobHandle.JobFailedException e) {
            err.println("Failed: " + e.getMessage());
        } finally {
            err.flush();
        }
        return ExitCode.SOFTWARE;
    }
}
