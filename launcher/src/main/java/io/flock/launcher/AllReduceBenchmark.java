package io.flock.launcher;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/**
 * Measurements of {@code flock bench allreduce} on {@link BenchWorkers}: ring (or tree) all-reduce
 * over the data plane among the first N workers, a plain loopback TCP transfer of the same bytes
 * between workers 0 and 1, and the same transfer as Artery actor messages with Flock's Kryo
 * serializer. Each measurement runs {@link #iterations} operations back to back and reports
 * seconds per operation (for a collective, the slowest rank's).
 */
final class AllReduceBenchmark {

    /** Parameters of the MLP 784-256-128-10 (the demo's model): its gradient is the realistic size. */
    static final long MLP_PARAMS = 784L * 256 + 256 + 256L * 128 + 128 + 128L * 10 + 10;

    /** A vector size to measure, named as on the command line. */
    record Size(String name, long floats) {
        static Size parse(String s) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            if (t.equals("mlp")) return new Size("mlp", MLP_PARAMS);
            long unit = t.endsWith("m") ? 1L << 20 : t.endsWith("k") ? 1L << 10 : 1;
            String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
            try {
                long n = Long.parseLong(digits) * unit;
                if (n <= 0 || n > (1L << 28)) throw new IllegalArgumentException("size " + s + " must be 1..256M floats");
                return new Size(s.trim(), n);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("size " + s + " is not a number of floats (e.g. 1M, 250k, mlp)");
            }
        }

        long bytes() {
            return floats * Float.BYTES;
        }
    }

    private final BenchWorkers workers;
    private int job;

    AllReduceBenchmark(BenchWorkers workers) {
        this.workers = workers;
    }

    /** Operations per measurement: about 256 MiB moved, at least 3 and at most 200. */
    static int iterations(long bytes) {
        return (int) Math.max(3, Math.min(200, (256L << 20) / bytes));
    }

    /** Bytes of the vector per second of one all-reduce. */
    static double algBandwidth(long bytes, double seconds) {
        return bytes / seconds;
    }

    /** NCCL's bus bandwidth: algBw · 2(N−1)/N, comparable across N with a link's bandwidth. */
    static double busBandwidth(double algBandwidth, int members) {
        return algBandwidth * 2.0 * (members - 1) / members;
    }

    static double median(List<Double> values) {
        return OverheadBenchmark.median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /**
     * Seconds per transfer of {@code bytes} from worker 0 to worker 1 over one plain TCP
     * connection, from a direct buffer into one of {@code sinkBuffer} bytes (the whole message:
     * memory to memory, like a tensor; 1 MiB: a cache-resident sink, an upper bound).
     */
    double tcp(long bytes, long sinkBuffer) throws InterruptedException, TimeoutException {
        int it = iterations(bytes);
        workers.get(0).send("TCPSEND " + workers.get(1).tcpPort + " " + bytes + " " + it + " " + sinkBuffer);
        return Double.parseDouble(workers.get(0).answer(600)[1]) / it;
    }

    /**
     * Seconds per transfer of {@code bytes} in both directions at once between workers 0 and 1
     * (two connections, memory to memory): what a ring's links can carry when every member sends
     * and receives, as at N = 2. On loopback both directions share the CPUs that do the copies.
     */
    double tcpBidirectional(long bytes) throws InterruptedException, TimeoutException {
        int it = iterations(bytes);
        workers.get(0).send("TCPSEND " + workers.get(1).tcpPort + " " + bytes + " " + it + " " + bytes);
        workers.get(1).send("TCPSEND " + workers.get(0).tcpPort + " " + bytes + " " + it + " " + bytes);
        double a = Double.parseDouble(workers.get(0).answer(600)[1]);
        double b = Double.parseDouble(workers.get(1).answer(600)[1]);
        return Math.max(a, b) / it;
    }

    /** Starts ActorSystems on workers 0 and 1; returns worker 1's Artery port. */
    int startArtery() throws InterruptedException, TimeoutException {
        workers.get(0).send("ARTERY");
        workers.get(1).send("ARTERY");
        workers.get(0).answer(120);
        return Integer.parseInt(workers.get(1).answer(120)[1]);
    }

    /** Seconds per transfer of {@code bytes} from worker 0 to 1 as Artery messages of at most {@code messageFloats} values. */
    double artery(int port, long bytes, int messageFloats) throws InterruptedException, TimeoutException {
        int it = Math.max(3, iterations(bytes) / 4);
        workers.get(0).send("ARTERYSEND " + port + " " + bytes + " " + messageFloats + " " + it);
        return Double.parseDouble(workers.get(0).answer(600)[1]) / it;
    }

    /** One collective's result: seconds per operation (slowest rank) and the most bytes any rank sent per operation. */
    record Collective(double seconds, long bytesPerRank) {}

    /** Runs {@code kind} ("RING"/"TREE") all-reduce of {@code floats} among workers 0..n-1. */
    Collective collective(String kind, int n, long floats, int microBatches, int chunk, boolean reuseResult)
            throws InterruptedException, TimeoutException {
        int it = iterations(floats * Float.BYTES);
        List<String> members = new ArrayList<>();
        for (int r = 0; r < n; r++) members.add("127.0.0.1:" + workers.get(r).dataPort);
        String jobId = "bench-" + (job++);
        for (int r = 0; r < n; r++) {
            workers.get(r).send(String.join(" ", kind, jobId, Integer.toString(r), Long.toString(floats),
                    Integer.toString(microBatches), Integer.toString(chunk), Integer.toString(it), String.join(",", members),
                    reuseResult ? "reuse" : "new"));
        }
        double slowest = 0;
        long bytes = 0;
        for (int r = 0; r < n; r++) {
            String[] a = workers.get(r).answer(600);
            slowest = Math.max(slowest, Double.parseDouble(a[1]));
            bytes = Math.max(bytes, Long.parseLong(a[2]));
        }
        return new Collective(slowest / it, bytes);
    }

    static String gbps(double bytesPerSecond) {
        return String.format(Locale.ROOT, "%.2f GB/s", bytesPerSecond / 1e9);
    }

    static String list(List<Double> seconds) {
        return Arrays.toString(seconds.stream().mapToDouble(s -> Math.round(s * 1e5) / 100.0).toArray());
    }
}
