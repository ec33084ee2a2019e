package io.flock.launcher;

import io.flock.actors.api.LocalCluster;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.data.DatasetSpec;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flock bench overhead}: Flock on one node with one worker versus the plain loop, on the
 * same model, batch, micro-batches and data. Rounds alternate the order (plain first, then Flock
 * first, ...) so that drift (thermal, JIT, page cache) cancels; the median ratio is reported.
 */
@Command(name = "overhead", mixinStandardHelpOptions = true,
        description = "Throughput of a 1-node Flock job relative to the plain single-process loop (goal >= 0.97).")
final class OverheadCommand implements Callable<Integer> {

    static final double GOAL = 0.97;

    @Spec
    CommandSpec spec;

    @Mixin
    LoggingOptions logging;

    @Mixin
    TrainingOptions training;

    @Option(names = "--steps", defaultValue = "200", description = "Measured steps per run (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "20", description = "Untimed warm-up steps per run (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--rounds", defaultValue = "4",
            description = "Rounds of (plain, Flock) with alternating order (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Override
    public Integer call() throws InterruptedException {
        validate();
        logging.apply();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        OverheadBenchmark bench = new OverheadBenchmark(training.jobTemplate().dataset(dataset(err)).steps(1).build(),
                warmup, steps);
        out.printf("Overhead benchmark: %s, B=%d, M=%d, %d shard(s), %d warm-up + %d measured steps, %d round(s), data %s%n",
                bench.template().model(), training.batch, training.microBatches, training.shards, warmup, steps, rounds,
                bench.template().dataset());
        out.flush();
        Dataset train = bench.template().dataset().loadTrain();
        return Jobs.onLocalCluster(1, 1, err, cluster -> report(out, runRounds(bench, train, cluster, out)));
    }

    private void validate() {
        TrainingOptions.requirePositive(spec, "--steps", steps);
        TrainingOptions.requirePositive(spec, "--rounds", rounds);
        if (warmup < 0) TrainingOptions.requirePositive(spec, "--warmup", warmup);
        training.validate(spec);
    }

    /**
     * Synthetic data sized so that warm-up and measured steps fit in one epoch: no test-set
     * evaluation (which only Flock does) runs during the measured steps.
     */
    private DatasetSpec dataset(PrintWriter err) {
        int trainSize = Math.max(6000, (warmup + steps) * training.batch);
        return DataChoice.choose(training.data, training.synthetic,
                DatasetSpec.Synthetic.fashionMnistShaped(trainSize, 1000, training.seed), err);
    }

    /** Runs the rounds; returns {plain, flock} samples/s per round. */
    private double[][] runRounds(OverheadBenchmark bench, Dataset train, LocalCluster cluster, PrintWriter out)
            throws InterruptedException {
        double[][] results = new double[rounds][2];
        for (int r = 0; r < rounds; r++) {
            boolean plainFirst = r % 2 == 0;
            for (int i = 0; i < 2; i++) {
                boolean plain = plainFirst == (i == 0);
                results[r][plain ? 0 : 1] = plain ? bench.plain(train)
                        : bench.flock(cluster.node(0), "overhead-" + r + "-" + System.nanoTime());
            }
            out.printf("round %d (%s first): plain %,.1f samples/s, flock %,.1f samples/s, ratio %.3f%n", r + 1,
                    plainFirst ? "plain" : "flock", results[r][0], results[r][1], results[r][1] / results[r][0]);
            out.flush();
        }
        return results;
    }

    private static void report(PrintWriter out, double[][] results) {
        double[] plain = new double[results.length];
        double[] flock = new double[results.length];
        double[] ratio = new double[results.length];
        for (int r = 0; r < results.length; r++) {
            plain[r] = results[r][0];
            flock[r] = results[r][1];
            ratio[r] = flock[r] / plain[r];
        }
        double median = OverheadBenchmark.median(ratio);
        out.printf("plain loop (median):      %,.1f samples/s%n", OverheadBenchmark.median(plain));
        out.printf("flock 1 node (median):    %,.1f samples/s%n", OverheadBenchmark.median(flock));
        out.printf("ratio flock / plain:      %.3f (median of %d round(s)); goal >= %.2f: %s%n", median, results.length,
                GOAL, median >= GOAL ? "met" : "NOT met");
        out.flush();
    }
}
