package io.flock.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import io.flock.actors.metrics.MetricsScraper;

/**
 * Real {@code java -jar flock.jar} processes on 127.0.0.1: a seed node, a worker node and a
 * {@code flock train} client. Runs in Maven's integration-test phase, after the shaded jar is built.
 */
class NodeProcessIT {

    static final Path JAR = Path.of(System.getProperty("flock.jar", "target/flock.jar"));
    static final List<String> JVM_FLAGS = List.of(System.getProperty("flock.jvm.flags",
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED").trim().split("\\s+"));
    static final long TIMEOUT_S = 90;

    @TempDir
    Path dir;

    final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void sigterm_workerNodeLeavesWithExitZero_jobCompletesOnTheRest() throws Exception {
        int seedPort = freePort();
        String seed = "127.0.0.1:" + seedPort;
        Path seedLog = dir.resolve("seed.log");
        start(seedLog, "node", "--host", "127.0.0.1", "--port", String.valueOf(seedPort), "--seed-nodes", seed,
                "--worker-slots", "1", "--metrics-port", "0");
        Path workerLog = dir.resolve("worker.log");
        Process worker = start(workerLog, "node", "--host", "127.0.0.1", "--port", "0", "--seed-nodes", seed,
                "--worker-slots", "1", "--host-shards", "off");
        int seedMetrics = Integer.parseInt(await(seedLog, Pattern.compile("metrics at http://127\\.0\\.0\\.1:(\\d+)/metrics")).group(1));
        awaitMetric(seedMetrics, "flock_cluster_members{status=\"up\",}", v -> v == 2.0);

        Path job = dir.resolve("job.conf");
        Files.writeString(job, """
                job {
                  id = sigterm-it
                  dataset { type = synthetic, train-size = 600, test-size = 100 }
                  batch = 60
                  micro-batches = 6
                  steps = 600
                  workers { min = 1, max = 2 }
                }
                """);
        Path trainLog = dir.resolve("train.log");
        Process train = start(trainLog, "train", job.toString(), "--host", "127.0.0.1", "--seed-nodes", seed);
        await(trainLog, Pattern.compile("step (6[1-9]|[7-9]\\d|\\d{3})/600"));
        assertEquals(3.0, MetricsScraper.value(MetricsScraper.scrape(seedMetrics), "flock_cluster_members{status=\"up\",}"));

        Path statusLog = dir.resolve("status.log");
        Process status = start(statusLog, "status", "--host", "127.0.0.1", "--seed-nodes", seed);
        assertTrue(status.waitFor(TIMEOUT_S, TimeUnit.SECONDS), read(statusLog));
        assertEquals(0, status.exitValue(), read(statusLog));
        assertTrue(Pattern.compile("coordinator: job sigterm-it: step \\d+/600, ps-bsp, 2 worker\\(s\\)")
                .matcher(read(statusLog)).find(), read(statusLog));
        assertTrue(read(statusLog).contains("pekko://flock@" + seed + " ") && read(statusLog).contains("[dc-default, shard]"),
                read(statusLog));

        worker.destroy(); // SIGTERM
        assertTrue(worker.waitFor(TIMEOUT_S, TimeUnit.SECONDS), "worker node still running after SIGTERM:\n" + read(workerLog));
        assertEquals(0, worker.exitValue(), read(workerLog));
        assertTrue(read(workerLog).contains("stopped (SIGTERM)"), read(workerLog));
        awaitMetric(seedMetrics, "flock_cluster_members{status=\"up\",}", v -> v == 2.0); // seed + train client

        assertTrue(train.waitFor(TIMEOUT_S * 2, TimeUnit.SECONDS), "train still running:\n" + read(trainLog));
        assertEquals(0, train.exitValue(), read(trainLog));
        assertTrue(read(trainLog).contains("Done: 600 steps"), read(trainLog));
    }

    private Process start(Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(JVM_FLAGS);
        command.addAll(List.of("-Xmx768m", "-jar", JAR.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /** Polls {@code log} until {@code pattern} occurs in it. */
    private static Matcher await(Path log, Pattern pattern) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (System.nanoTime() < deadline) {
            Matcher m = pattern.matcher(read(log));
            if (m.find()) return m;
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new AssertionError("'" + pattern + "' not in " + log + " after " + TIMEOUT_S + " s:\n" + read(log));
    }

    private static void awaitMetric(int port, String series, java.util.function.DoublePredicate ok)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        double last = Double.NaN;
        while (System.nanoTime() < deadline) {
            last = MetricsScraper.value(MetricsScraper.scrape(port), series);
            if (ok.test(last)) return;
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new AssertionError(series + " is " + last + " after " + TIMEOUT_S + " s");
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** A port free right now on 127.0.0.1; a seed node needs one known before it starts. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
