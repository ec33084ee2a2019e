package io.flock.launcher;

import io.flock.actors.api.FlockNode;
import io.flock.actors.config.InvalidConfigException;
import io.flock.actors.job.JobStatus;
import io.flock.actors.job.SwitchResult;
import io.flock.strategies.Strategy;
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
 * {@code flock switch <strategy>}: joins the cluster briefly as a client node and switches the
 * running job to another strategy at its next step boundary (or at {@code --at-step}); prints
 * the step the new strategy took effect at. Exit 1 when the coordinator refused, naming why.
 */
@Command(name = "switch", mixinStandardHelpOptions = true,
        description = "Switch the running job's synchronisation strategy (ps-bsp, ring, tree, ...) while it trains.")
final class SwitchStrategyCommand implements Callable<Integer> {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "STRATEGY", description = "The strategy to switch to, e.g. ring.")
    String strategy;

    @Option(names = "--at-step", defaultValue = "-1",
            description = "Take effect at this step (the next boundary if a worker already began it). Default: the next boundary.")
    long atStep;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Strategy target;
        try {
            target = Strategy.parse(strategy);
        } catch (IllegalArgumentException e) {
            err.println("flock switch: " + e.getMessage());
            err.flush();
            return ExitCode.USAGE;
        }
        try (FlockNode node = ClientNode.join(cluster, spec, Duration.ofSeconds(30))) {
            JobStatus job = node.jobStatus(Duration.ofSeconds(30)).toCompletableFuture().get();
            if (job.idle()) {
                err.println("flock switch: no job is running");
                err.flush();
                return ExitCode.SOFTWARE;
            }
            SwitchResult r = node.switchStrategy(job.jobId(), target, atStep, TIMEOUT).toCompletableFuture().get();
            if (!r.ok()) {
                err.println("flock switch: job " + job.jobId() + " keeps " + job.strategy().id() + ": " + r.error());
                err.flush();
                return ExitCode.SOFTWARE;
            }
            out.println("job " + r.jobId() + " runs " + r.strategy().id() + " from step " + r.atStep());
            out.flush();
            return ExitCode.OK;
        } catch (InvalidConfigException | TimeoutException e) {
            err.println("flock switch: " + e.getMessage());
            err.flush();
            return e instanceof TimeoutException ? ExitCode.SOFTWARE : ExitCode.USAGE;
        } catch (java.util.concurrent.ExecutionException e) {
            // An ask timed out (the coordinator is busy failing over, say): say so, no stack trace.
            err.println("flock switch: the coordinator did not answer: " + e.getCause().getMessage());
            err.flush();
            return ExitCode.SOFTWARE;
        }
    }
}
