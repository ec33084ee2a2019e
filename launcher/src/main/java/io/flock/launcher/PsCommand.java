package io.flock.launcher;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.bench.ShardBench;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code flock bench ps}: parameter-server push + pull throughput through ParameterShard entities
 * (Cluster Sharding over Artery TCP, Kryo, primary + backup) on an in-JVM cluster of one client
 * and two shard nodes, for 1, 2 and 4 shards, against loopback TCP between two JVMs in the same run.
 */
@Command(name = "ps", mixinStandardHelpOptions = true,
        description = "Parameter-server push+pull throughput (1, 2, 4 shards) vs loopback TCP, in one run.")
final class PsCommand implements Callable<Integer> {

    /** Artery's large-message frame (pekko-defaults.conf): one Push or Pulled of more is dropped. */
    static final long MAX_MESSAGE_BYTES = 64L << 20;

    @Spec
    CommandSpec spec;

    @Mixin
    LoggingOptions logging;

    @Option(names = "--shards", split = ",", defaultValue = "1,2,4", description = "Shard counts (default: ${DEFAULT-VALUE}).")
    List<Integer> shards;

    @Option(names = "--sizes", split = ",", defaultValue = "1M,4M,16M,mlp", description = "Parameter counts (default: ${DEFAULT-VALUE}).")
    List<String> sizes;

    @Option(names = "--repetitions", defaultValue = "5", description = "Measured repetitions after one warm-up (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Override
    public Integer call() throws Exception {
        TrainingOptions.requirePositive(spec, "--repetitions", repetitions);
        for (int s : shards) TrainingOptions.requirePositive(spec, "--shards", s);
        logging.apply();
        if (!logging.verbose) {
            // Released shards' backups and the cluster's shutdown log at INFO/WARN: noise here.
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.flock.actors.shard"))
                    .setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        List<AllReduceBenchmark.Size> parsed = new ArrayList<>();
        for (String s : sizes) {
            try {
                parsed.add(AllReduceBenchmark.Size.parse(s));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--sizes: " + e.getMessage());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("flock bench ps: push + pull of the whole vector through ParameterShard entities (sharding, Artery TCP, Kryo,%n"
                + "primary + backup) on 1 client + 2 shard nodes in this JVM; loopback TCP between 2 JVMs; %d CPUs;%n"
                + "median of %d repetitions after 1 warm-up; GB/s = 2 x vector bytes / round; ÷ TCP per repetition, median%n",
                Runtime.getRuntime().availableProcessors(), repetitions);
        out.flush();
        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        int job = 0;
        try (BenchWorkers w = BenchWorkers.start(2, 1 << 20, 0);
             LocalCluster cluster = LocalCluster.create(ConfigFactory.parseString("flock.metrics.enabled = off"))) {
            AllReduceBenchmark tcp = new AllReduceBenchmark(w);
            cluster.addNode(0, false);
            cluster.addNode(0, true);
            cluster.addNode(0, true);
            for (int rep = 0; rep <= repetitions; rep++) {
                for (AllReduceBenchmark.Size size : parsed) {
                    double t = tcp.tcp(size.bytes(), size.bytes());
                    if (rep > 0) seconds.computeIfAbsent(size.name() + "|tcp", k -> new ArrayList<>()).add(t);
                    for (int s : shards) {
                        if (!fits(size, s)) continue;
                        int rounds = Math.max(3, AllReduceBenchmark.iterations(2 * size.bytes()) / 2);
                        double r = ShardBench.pushPullRound(cluster.node(0), "ps-bench-" + (job++), s, size.floats(), rep == 0 ? 2 : 1, rounds);
                        if (rep > 0) seconds.computeIfAbsent(size.name() + "|" + s, k -> new ArrayList<>()).add(r);
                        System.gc(); // ND4J frees the received tensors' native memory only when they are collected
                    }
                }
                out.printf("repetition %d/%d done%s%n", rep, repetitions, rep == 0 ? " (warm-up, not counted)" : "");
                out.flush();
            }
        }
        report(out, parsed, seconds);
        return 0;
    }

    /** Whether one slice (a Push and a Pulled message) fits Artery's large frame, with room for the envelope. */
    static boolean fits(AllReduceBenchmark.Size size, int shards) {
        return (size.bytes() + shards - 1) / shards + 4096 <= MAX_MESSAGE_BYTES;
    }

    private void report(PrintWriter out, List<AllReduceBenchmark.Size> sizes, Map<String, List<Double>> seconds) {
        out.printf("%n%-6s %12s  %-26s %10s %11s %7s%n", "size", "floats", "path", "round", "GB/s", "÷ TCP");
        for (AllReduceBenchmark.Size size : sizes) {
            List<Double> tcp = seconds.get(size.name() + "|tcp");
            line(out, size, "loopback TCP (one way)", AllReduceBenchmark.median(tcp), size.bytes(), 1.0);
            for (int s : shards) {
                List<Double> t = seconds.get(size.name() + "|" + s);
                if (t == null) {
                    out.printf("%-6s %,12d  %-26s  n/a: a %d-shard slice exceeds Artery's 64 MiB large frame%n", size.name(),
                            size.floats(), "ps, " + s + " shard(s)", s);
                    continue;
                }
                List<Double> ratios = new ArrayList<>();
                for (int i = 0; i < t.size(); i++) ratios.add(2 * tcp.get(i) / t.get(i));
                line(out, size, "ps push+pull, " + s + " shard(s)", AllReduceBenchmark.median(t), 2 * size.bytes(),
                        AllReduceBenchmark.median(ratios));
            }
        }
        out.flush();
    }

    private static void line(PrintWriter out, AllReduceBenchmark.Size size, String path, double seconds, long bytes, double ratio) {
        out.printf(Locale.ROOT, "%-6s %,12d  %-26s %7.2f ms %11s %7.2f%n", size.name(), size.floats(), path, seconds * 1e3,
                AllReduceBenchmark.gbps(bytes / seconds), ratio);
    }
}
