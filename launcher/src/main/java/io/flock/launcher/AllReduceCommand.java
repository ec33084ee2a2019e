package io.flock.launcher;

import io.flock.actors.bench.CollectiveBench;
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
 * {@code flock bench allreduce}: ring all-reduce over the data plane among N worker JVMs on
 * 127.0.0.1, against a plain loopback TCP transfer of the same bytes and the same transfer as
 * Artery actor messages (Kryo), all in one run. Every repetition measures all paths back to back,
 * so each ratio divides two numbers taken under the same load; the median ratio is reported.
 */
@Command(name = "allreduce", mixinStandardHelpOptions = true,
        description = "Ring all-reduce over the data plane among worker JVMs vs loopback TCP and Artery (goal: N=2, 16M >= 0.6 of TCP).")
final class AllReduceCommand implements Callable<Integer> {

    static final double GOAL = 0.6;

    @Spec
    CommandSpec spec;

    @Mixin
    LoggingOptions logging;

    @Option(names = "--members", split = ",", defaultValue = "2,4", description = "Ring sizes N (default: ${DEFAULT-VALUE}).")
    List<Integer> members;

    @Option(names = "--sizes", split = ",", defaultValue = "1M,4M,16M,mlp",
            description = "Vector sizes in floats: 1M = 2^20, 250k, mlp = the MLP's 235,146 (default: ${DEFAULT-VALUE}).")
    List<String> sizes;

    @Option(names = "--repetitions", defaultValue = "7", description = "Measured repetitions, after one warm-up (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--chunk-sizes", split = ",", defaultValue = "0",
            description = "Data-plane chunk sizes in floats to measure the ring with; 0 = the data plane's chunkSizeFor(n),"
                    + " the default (about 16 chunks of 256Ki..1Mi values).")
    List<Integer> chunkSizes;

    @Option(names = "--kind", defaultValue = "RING", description = "RING or TREE (default: ${DEFAULT-VALUE}).")
    String kind;

    @Option(names = "--micro-batches", defaultValue = "0", description = "Micro-batches per all-reduce; 0 = N (default).")
    int microBatches;

    @Option(names = "--artery-message", defaultValue = "4194304",
            description = "Values per Artery message (default: ${DEFAULT-VALUE} = 16 MiB, under the 64 MiB large frame).")
    int arteryMessage;

    @Option(names = "--no-artery", description = "Skip the Artery comparison.")
    boolean noArtery;

    @Option(names = "--new-results", negatable = true, defaultValue = "true",
            description = "Also measure the ring allocating a new result vector per all-reduce (default: on).")
    boolean newResults;

    @Option(names = "--socket-buffer", defaultValue = "0", description = "SO_SNDBUF/RCVBUF of data-plane sockets; 0 = OS default.")
    int socketBuffer;

    /** One thing measured: a path at a size, with its ring size and chunk where they apply. */
    private record Path(String name, int members, int chunk, boolean reuse) {}

    @Override
    public Integer call() throws Exception {
        validate();
        logging.apply();
        PrintWriter out = spec.commandLine().getOut();
        List<AllReduceBenchmark.Size> parsed = parseSizes();
        int workers = Math.max(2, members.stream().mapToInt(Integer::intValue).max().orElse(2));
        List<Path> paths = paths();
        out.printf("flock bench allreduce: %s all-reduce over the data plane, %s, %d worker JVMs on 127.0.0.1, %d CPUs%n",
                kind.toLowerCase(Locale.ROOT), microBatches == 0 ? "M = N micro-batches" : "M = " + microBatches, workers,
                Runtime.getRuntime().availableProcessors());
        out.printf("median of %d repetitions after 1 warm-up; algBw = vector bytes / time; busBw = algBw * 2(N-1)/N;%n"
                + "÷ TCP = busBw (or bandwidth) / one-way loopback TCP, memory to memory, of the same repetition (median);%n"
                + "÷ bidi = the same over the per-direction bandwidth of TCP in both directions at once (a ring's links)%n",
                repetitions);
        out.flush();
        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        Map<String, Long> sent = new LinkedHashMap<>();
        int maxChunk = Math.max(CollectiveBench.defaultChunkSize(), chunkSizes.stream().mapToInt(Integer::intValue).max().orElse(0));
        try (BenchWorkers w = BenchWorkers.start(workers, maxChunk, socketBuffer)) {
            AllReduceBenchmark bench = new AllReduceBenchmark(w);
            int arteryPort = noArtery ? 0 : bench.startArtery();
            for (int rep = 0; rep <= repetitions; rep++) {
                for (AllReduceBenchmark.Size size : parsed) {
                    for (Path p : paths) {
                        double t = switch (p.name()) {
                            case "tcp" -> bench.tcp(size.bytes(), size.bytes());
                            case "tcp-hot" -> bench.tcp(size.bytes(), 1 << 20);
                            case "tcp-bidi" -> bench.tcpBidirectional(size.bytes());
                            case "artery" -> bench.artery(arteryPort, size.bytes(), arteryMessage);
                            default -> {
                                int m = microBatches == 0 ? p.members() : microBatches;
                                int chunk = p.chunk() > 0 ? p.chunk() : CollectiveBench.chunkSizeFor(size.floats());
                                AllReduceBenchmark.Collective c = bench.collective(kind.toUpperCase(Locale.ROOT), p.members(),
                                        size.floats(), m, chunk, p.reuse());
                                sent.put(key(size, p), c.bytesPerRank());
                                yield c.seconds();
                            }
                        };
                        if (rep > 0) seconds.computeIfAbsent(key(size, p), k -> new ArrayList<>()).add(t);
                    }
                }
                out.printf("repetition %d/%d done%s%n", rep, repetitions, rep == 0 ? " (warm-up, not counted)" : "");
                out.flush();
            }
        }
        report(out, parsed, paths, seconds, sent);
        return 0;
    }

    private List<Path> paths() {
        List<Path> paths = new ArrayList<>(List.of(new Path("tcp", 2, 0, false), new Path("tcp-bidi", 2, 0, false),
                new Path("tcp-hot", 2, 0, false)));
        if (!noArtery) paths.add(new Path("artery", 2, 0, false));
        for (int n : members) {
            for (int chunk : chunkSizes) paths.add(new Path("ring", n, chunk, true));
            if (newResults) paths.add(new Path("ring", n, chunkSizes.get(0), false));
        }
        return paths;
    }

    private List<AllReduceBenchmark.Size> parseSizes() {
        List<AllReduceBenchmark.Size> parsed = new ArrayList<>();
        for (String s : sizes) {
            try {
                parsed.add(AllReduceBenchmark.Size.parse(s));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--sizes: " + e.getMessage());
            }
        }
        return parsed;
    }

    private void validate() {
        TrainingOptions.requirePositive(spec, "--repetitions", repetitions);
        for (int n : members) if (n < 2) throw new ParameterException(spec.commandLine(), "--members: N must be >= 2, got " + n);
        for (int c : chunkSizes) {
            if (c < 0) throw new ParameterException(spec.commandLine(), "--chunk-sizes must be >= 0 (0 = automatic), got " + c);
        }
        if (!kind.equalsIgnoreCase("RING") && !kind.equalsIgnoreCase("TREE")) {
            throw new ParameterException(spec.commandLine(), "--kind must be RING or TREE, got " + kind);
        }
    }

    private static String key(AllReduceBenchmark.Size size, Path p) {
        return size.name() + "|" + p;
    }

    private void report(PrintWriter out, List<AllReduceBenchmark.Size> sizes, List<Path> paths, Map<String, List<Double>> seconds,
            Map<String, Long> sent) {
        out.printf("%n%-6s %12s  %-34s %10s %11s %11s %7s %7s  %s%n", "size", "floats", "path", "time/op", "algBw", "busBw",
                "÷ TCP", "÷ bidi", "sent/rank/op");
        Double goal = null;
        for (AllReduceBenchmark.Size size : sizes) {
            List<Double> tcp = seconds.get(key(size, paths.get(0)));
            List<Double> bidi = seconds.get(key(size, paths.get(1)));
            for (Path p : paths) {
                List<Double> t = seconds.get(key(size, p));
                boolean ring = p.name().equals("ring");
                double alg = AllReduceBenchmark.algBandwidth(size.bytes(), AllReduceBenchmark.median(t));
                double bus = ring ? AllReduceBenchmark.busBandwidth(alg, p.members()) : Double.NaN;
                List<Double> ratios = new ArrayList<>();
                List<Double> bidiRatios = new ArrayList<>();
                for (int i = 0; i < t.size(); i++) {
                    double factor = ring ? 2.0 * (p.members() - 1) / p.members() : 1.0;
                    ratios.add(factor * tcp.get(i) / t.get(i));
                    bidiRatios.add(factor * bidi.get(i) / t.get(i));
                }
                double ratio = AllReduceBenchmark.median(ratios);
                out.printf(Locale.ROOT, "%-6s %,12d  %-34s %7.2f ms %11s %11s %7.2f %7s  %.1f MB%n", size.name(), size.floats(),
                        describe(p), AllReduceBenchmark.median(t) * 1e3, AllReduceBenchmark.gbps(alg),
                        ring ? AllReduceBenchmark.gbps(bus) : "-", ratio,
                        ring || p.name().equals("tcp-bidi") ? String.format(Locale.ROOT, "%.2f", AllReduceBenchmark.median(bidiRatios)) : "-",
                        (ring ? sent.get(key(size, p)) : size.bytes()) / 1e6);
                if (ring && p.members() == 2 && p.reuse() && p.chunk() == chunkSizes.get(0) && size.floats() == 16L << 20) goal = ratio;
            }
        }
        if (goal != null) {
            out.printf("%n%s N=2 at 16M floats: %.2f of one-way loopback TCP; goal >= %.1f: %s%n", kind.toLowerCase(Locale.ROOT), goal,
                    GOAL, goal >= GOAL ? "met" : "NOT met");
        }
        out.flush();
    }

    private String describe(Path p) {
        return switch (p.name()) {
            case "tcp" -> "loopback TCP one way, mem to mem";
            case "tcp-bidi" -> "loopback TCP both ways (per dir.)";
            case "tcp-hot" -> "loopback TCP one way, 1 MiB sink";
            case "artery" -> "Artery+Kryo, " + arteryMessage * 4L / (1 << 20) + " MiB messages";
            default -> kind.toLowerCase(Locale.ROOT) + " N=" + p.members()
                    + (chunkSizes.size() > 1 ? " chunk " + (p.chunk() == 0 ? "auto" : p.chunk()) : "")
                    + (p.reuse() ? "" : ", new result");
        };
    }
}
