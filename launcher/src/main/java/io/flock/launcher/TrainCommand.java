package io.flock.launcher;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.FlockNode;
import io.flock.actors.job.InvalidJobException;
import io.flock.actors.config.InvalidConfigException;
import io.flock.actors.api.JobHandle;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingJob;
import io.flock.actors.job.TrainingResult;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.nd4j.linalg.factory.Nd4j;
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
 * For tools that watch a run (the chaos harness): {@code --params-out} writes the final parameter
 * vector in ND4J's binary format ({@code Nd4j.write}, read back with {@code Nd4j.read}) and
 * {@code --event-lines} prints one {@code event ...} line per committed step and membership change.
 * {@code --resume} continues a job from its newest valid checkpoint ({@link FlockNode#resume}).
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

    @Option(names = "--params-out", paramLabel = "FILE",
            description = "After the job completes, write the final parameters to FILE (ND4J binary, Nd4j.read).")
    File paramsOut;

    @Option(names = "--event-lines", description = "Print a line per committed step, membership change, gradient audit "
            + "and restore on stdout (event step=S workers=W loss=L / event membership epoch=E workers=W from-step=S / "
            + "event audit epoch=E acknowledged=A missing=N recovered-shards=R / event restored step=S path=P rejected=N).")
    boolean eventLines;

    @Option(names = "--resume", description = {
            "Continue the job from its newest valid checkpoint instead of step 0. The node running the coordinator "
                    + "looks for <job.id>-<step>.ckpt in its flock.checkpoint.dir (written every job.checkpoint-every "
                    + "steps or on POST /admin/checkpoint), skips newer files that are truncated, corrupt or of another "
                    + "job (and says so), and starts from step 0 when none is usable.",
            "The job file must set job.id and describe the same model and optimizer as the checkpointed job."})
    boolean resume;

    /**
     * Reads the job file through the public API ({@link TrainingJob#fromFile}); with
     * {@code idRequired} (resuming: checkpoint files are named after the job id) a missing or empty
     * {@code job.id} is an error instead of a random id.
     */
    static TrainingJob readJob(Path file, boolean idRequired) {
        TrainingJob job = TrainingJob.fromFile(file);
        if (idRequired) {
            var given = ConfigFactory.parseFile(file.toFile()).resolve();
            if (!given.hasPath("job.id") || given.getString("job.id").isEmpty()) {
                throw new InvalidJobException("file " + file, List.of("job.id: required to resume (checkpoint files are "
                        + "named <job.id>-<step>.ckpt); set the id the job ran with"));
            }
        }
        return job;
    }

    @Override
    public Integer call() throws InterruptedException {
        logging.apply();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TrainingJob job;
        try {
            job = readJob(jobFile.toPath(), resume);
        } catch (InvalidJobException e) {
            err.println("flock train: " + e.getMessage());
            err.flush();
            return ExitCode.USAGE;
        }
        long startNanos = System.nanoTime();
        try (FlockNode node = ClientNode.join(cluster, spec, Duration.parse("PT" + joinTimeout.toUpperCase()))) {
            out.printf("Joined the cluster as %s; submitting job %s%n", node.address(), job.jobId());
            out.flush();
            ProgressReporter progress = new ProgressReporter(out, err, System.console() != null, System::nanoTime);
            Consumer<TrainingEvent> listener = eventLines ? progress.andThen(e -> printEventLine(out, e)) : progress;
            TrainingResult result = Jobs.await(resume ? node.resume(job, listener) : node.submit(job, listener));
            Jobs.printSummary(out, result, (System.nanoTime() - startNanos) / 1e9);
            if (paramsOut != null) writeParams(result);
            return ExitCode.OK;
        } catch (IOException e) {
            err.println("flock train: could not write --params-out " + paramsOut + ": " + e.getMessage());
        } catch (InvalidConfigException e) {
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

    /** One machine-readable line per step, membership change, gradient audit and restore; called in event order. */
    static void printEventLine(PrintWriter out, TrainingEvent event) {
        if (event instanceof TrainingEvent.StepCompleted s) {
            out.printf("event step=%d workers=%d loss=%s%n", s.step(), s.workers(), s.loss());
        } else if (event instanceof TrainingEvent.MembershipChanged m) {
            out.printf("event membership epoch=%d workers=%d from-step=%d%n", m.epoch(), m.workers(), m.fromStep());
        } else if (event instanceof TrainingEvent.GradientsAudited a) {
            out.printf("event audit epoch=%d acknowledged=%d missing=%d recovered-shards=%d%n", a.epoch(), a.acknowledged(),
                    a.missing(), a.recoveredShards());
        } else if (event instanceof TrainingEvent.Restored r) {
            out.printf("event restored step=%d path=%s rejected=%d%n", r.step(), r.path().isEmpty() ? "-" : r.path(),
                    r.rejected().length);
        } else {
            return;
        }
        out.flush();
    }

    private void writeParams(TrainingResult result) throws IOException {
        try (DataOutputStream os = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(paramsOut.toPath())))) {
            Nd4j.write(result.params(), os);
        }
    }
}
