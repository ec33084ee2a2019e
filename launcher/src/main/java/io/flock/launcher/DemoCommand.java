package io.flock.launcher;

import io.flock.actors.job.TrainingJob;
import io.flock.actors.job.TrainingResult;
import io.flock.tensor.data.DatasetSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flock demo}: trains the Fashion-MNIST MLP with ps-bsp on a cluster of several nodes in
 * this JVM (real Artery TCP over 127.0.0.1), showing progress, per-epoch test accuracy and a summary.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train an MLP on Fashion-MNIST (or synthetic data) on a local multi-node cluster.")
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LoggingOptions logging;

    @Mixin
    TrainingOptions training;

    @Option(names = "--nodes", defaultValue = "3", description = "Cluster nodes in this JVM (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--workers-per-node", defaultValue = "1",
            description = "Worker slots per node (default: ${DEFAULT-VALUE}).")
    int workersPerNode;

    @Option(names = "--epochs", defaultValue = "2", description = "Epochs to train (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--steps", description = "Train this many steps instead of whole epochs (quick runs).")
    Long steps;

    @Override
    public Integer call() throws InterruptedException {
        validate();
        logging.apply();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TrainingJob job = job(err);
        out.printf("Starting a %d-node local cluster (%d worker(s) per node) ...%n", nodes, workersPerNode);
        out.flush();
        long startNanos = System.nanoTime();
        return Jobs.onLocalCluster(nodes, workersPerNode, err, cluster -> {
            ProgressReporter progress = new ProgressReporter(out, err, System.console() != null, System::nanoTime);
            TrainingResult result = Jobs.await(cluster.node(0).submit(job, progress));
            Jobs.printSummary(out, result, (System.nanoTime() - startNanos) / 1e9);
        });
    }

    private void validate() {
        TrainingOptions.requirePositive(spec, "--nodes", nodes);
        TrainingOptions.requirePositive(spec, "--workers-per-node", workersPerNode);
        TrainingOptions.requirePositive(spec, "--epochs", epochs);
        if (steps != null) TrainingOptions.requirePositive(spec, "--steps", steps);
        training.validate(spec);
    }

    private TrainingJob job(PrintWriter err) {
        Path dir = training.data != null ? training.data : Path.of(DatasetSpec.Idx.DEBIAN_FASHION_MNIST);
        DatasetSpec data = DataChoice.choose(dir, training.synthetic,
                DatasetSpec.Synthetic.fashionMnistShaped(6000, 1000, training.seed), err);
        int workers = nodes * workersPerNode;
        TrainingJob.Builder builder = training.jobTemplate().dataset(data).workers(workers, workers);
        return (steps != null ? builder.steps(steps) : builder.epochs(epochs)).build();
    }
}
