package io.flock.launcher;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingJob;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.DoublePredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's {@code prometheus} package; skipped when it is not installed)
 * scrapes two Flock nodes every second on 127.0.0.1 while a job trains; its HTTP API must show
 * {@code flock_step_duration_seconds_count} increasing.
 */
class PrometheusScrapeIT {

    static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    static final String QUERY = "sum(flock_step_duration_seconds_count)";
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    Process prometheus;
    LocalCluster cluster;

    @AfterEach
    void stop() {
        if (prometheus != null) prometheus.destroyForcibly();
        if (cluster != null) cluster.close();
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void runningJob_stepCountIncreasesInPrometheus() throws Exception {
        assumeTrue(Files.isExecutable(PROMETHEUS), "Debian's prometheus package is not installed");
        cluster = LocalCluster.start(2, 1, ConfigFactory.empty());
        int webPort = NodeProcessIT.freePort();
        startPrometheus(webPort, cluster.node(0).metricsPort().orElseThrow(), cluster.node(1).metricsPort().orElseThrow());
        TrainingJob job = TrainingJob.builder().jobId("prometheus")
                .model(ModelSpec.Mlp.fashionMnist(7))
                .dataset(DatasetSpec.Synthetic.fashionMnistShaped(600, 100, 11))
                .globalBatch(60).microBatches(6).steps(100_000).shards(2).workers(1, 2)
                .build();
        JobHandle handle = cluster.node(0).submit(job);

        double first = awaitStepCount(webPort, v -> v > 0);
        double later = awaitStepCount(webPort, v -> v > first);
        assertTrue(later > first, "step count went from " + first + " to " + later);
        assertFalse(handle.result().toCompletableFuture().isDone(), "the job was still running");
    }

    private void startPrometheus(int webPort, int... targets) throws IOException {
        StringBuilder list = new StringBuilder();
        for (int t : targets) list.append(list.length() == 0 ? "" : ", ").append("'127.0.0.1:").append(t).append("'");
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: flock
                    static_configs:
                      - targets: [%s]
                """.formatted(list));
        prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + config,
                "--web.listen-address=127.0.0.1:" + webPort, "--storage.tsdb.path=" + dir.resolve("tsdb"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    }

    /** Polls Prometheus's query API until {@link #QUERY} satisfies {@code ok}; returns that value. */
    private double awaitStepCount(int webPort, DoublePredicate ok) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + webPort + "/api/v1/query?query="
                + URLEncoder.encode(QUERY, StandardCharsets.UTF_8));
        Pattern value = Pattern.compile("\"value\":\\[[0-9.]+,\"([0-9.eE+-]+)\"\\]");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                last = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = value.matcher(last);
                if (m.find() && ok.test(Double.parseDouble(m.group(1)))) return Double.parseDouble(m.group(1));
            } catch (IOException notUpYet) {
                last = notUpYet.toString();
            }
            TimeUnit.MILLISECONDS.sleep(250);
        }
        throw new AssertionError("Prometheus never answered as expected; last answer: " + last + "\nlog:\n"
                + Files.readString(dir.resolve("prometheus.log")));
    }
}
