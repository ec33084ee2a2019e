package io.flock.launcher;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.SwitchResult;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingJob;
import io.flock.actors.bench.ShardBench;
import io.flock.strategies.Strategy;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flock bench switching}: the pause a runtime strategy switch costs. A 3-node in-JVM cluster
 * (real Artery TCP on 127.0.0.1) trains the MLP; each switch is requested at the next boundary
 * and timed from the request to the first step committed under the new strategy. The ratio
 * divides that by one plain step (median step interval before the switch) plus one parameter
 * transfer (median wall time for one node to fetch every shard's parameters and optimizer state,
 * which is what a PS → ring member does).
 */
@Command(name = "switching", mixinStandardHelpOptions = true,
        description = "Pause of a runtime strategy switch ÷ (one step + one parameter transfer).")
final class SwitchingBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LoggingOptions logging;

    @Option(names = "--rounds", defaultValue = "3", description = "Switch cycles ps-bsp → ring → tree → ps-bsp (default: ${DEFAULT-VALUE}).")
    int rounds;

    private final Map<Long, Long> committedAt = new ConcurrentHashMap<>();

    @Override
    public Integer call() throws Exception {
        TrainingOptions.requirePositive(spec, "--rounds", rounds);
        logging.apply();
        PrintWriter out = spec.commandLine().getOut();
        List<Strategy> cycle = List.of(Strategy.RING, Strategy.TREE, Strategy.PS_BSP);
        int shards = 3;
        try (LocalCluster cluster = LocalCluster.start(3, 1, ConfigFactory.empty())) {
            TrainingJob job = TrainingJob.builder().jobId("bench-switch")
                    .model(ModelSpec.Mlp.fashionMnist(1)).dataset(DatasetSpec.Synthetic.fashionMnistShaped(6_000, 100, 1))
                    .globalBatch(120).microBatches(6).steps(100_000).shards(shards).workers(3, 3).build();
            CompletableFuture<Void> warm = new CompletableFuture<>();
            JobHandle handle = cluster.node(0).submit(job, e -> {
                if (e instanceof TrainingEvent.StepCompleted s) {
                    committedAt.put(s.step(), System.nanoTime());
                    if (s.step() >= 20) warm.complete(null);
                }
            });
            warm.get(180, TimeUnit.SECONDS);
            out.printf("%-16s %10s %10s %12s %8s%n", "switch", "pause s", "step s", "transfer s", "ratio");
            Strategy from = Strategy.PS_BSP;
            for (int r = 0; r < rounds; r++) {
                for (Strategy to : cycle) {
                    long last = awaitSteps(10);
                    double step = medianStepSeconds(last - 9, last);
                    double transfer = transferSeconds(cluster, job.jobId(), shards);
                    long asked = System.nanoTime();
                    SwitchResult result = cluster.node(1).switchStrategy(job.jobId(), to, Duration.ofSeconds(120))
                            .toCompletableFuture().get(150, TimeUnit.SECONDS);
                    if (!result.ok()) throw new IllegalStateException("switch to " + to.id() + ": " + result.error());
                    double pause = (awaitCommitted(result.atStep()) - asked) / 1e9;
                    out.printf("%-16s %10.3f %10.3f %12.3f %8.2f%n", from.id() + " → " + to.id(), pause, step,
                            transfer, pause / (step + transfer));
                    out.flush();
                    from = to;
                }
            }
            handle.result().toCompletableFuture().cancel(true);
        }
        return 0;
    }

    /** Waits until {@code more} further steps are committed; returns the last one. */
    private long awaitSteps(int more) throws InterruptedException {
        long target = highest() + more;
        while (highest() < target) Thread.sleep(20);
        return target;
    }

    private long awaitCommitted(long step) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!committedAt.containsKey(step)) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("step " + step + " never committed");
            Thread.sleep(5);
        }
        return committedAt.get(step);
    }

    private long highest() {
        return committedAt.keySet().stream().mapToLong(Long::longValue).max().orElse(-1);
    }

    private double medianStepSeconds(long from, long to) {
        List<Double> gaps = new ArrayList<>();
        for (long s = from + 1; s <= to; s++) gaps.add((committedAt.get(s) - committedAt.get(s - 1)) / 1e9);
        return OverheadBenchmark.median(gaps.stream().mapToDouble(Double::doubleValue).sorted().toArray());
    }

    /** Median of 5: one node fetches every shard's parameters and optimizer state (as a PS → ring member does). */
    private static double transferSeconds(LocalCluster cluster, String jobId, int shards) throws Exception {
        double[] seconds = new double[5];
        for (int trial = 0; trial < seconds.length; trial++) {
            seconds[trial] = ShardBench.fetchAllSeconds(cluster.node(2), jobId, shards, Duration.ofSeconds(30));
        }
        java.util.Arrays.sort(seconds);
        return OverheadBenchmark.median(seconds);
    }
}
