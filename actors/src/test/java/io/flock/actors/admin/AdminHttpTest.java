package io.flock.actors.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.metrics.MetricsScraper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin endpoint over real HTTP on 127.0.0.1: bearer token or 401; metrics stay open and read-only. */
class AdminHttpTest {

    static final String TOKEN = "s3cret-admin-token-for-tests";
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static LocalCluster cluster;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.start(2, 0, ConfigFactory.parseString("flock.admin.token = \"" + TOKEN + "\""));
        port = cluster.node(0).adminPort().orElseThrow();
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void status_withToken_listsMembersAsJson() throws Exception {
        HttpResponse<String> r = send("GET", "/admin/status", "Bearer " + TOKEN);

        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertTrue(r.body().startsWith("{\"node\":\"" + cluster.node(0).address() + "\""), r.body());
        assertTrue(r.body().contains("\"address\":\"" + cluster.node(1).address() + "\",\"status\":\"Up\""), r.body());
        assertTrue(r.body().endsWith(",\"job\":{\"running\":false,\"queued\":0}}"), r.body());
    }

    @Test
    void status_withoutToken_is401() throws Exception {
        HttpResponse<String> r = send("GET", "/admin/status", null);

        assertEquals(401, r.statusCode());
        assertEquals("Bearer realm=\"flock-admin\"", r.headers().firstValue("WWW-Authenticate").orElse(""));
        assertTrue(!r.body().contains("members"), r.body());
    }

    @Test
    void checkpoint_wrongToken_is401() throws Exception {
        assertEquals(401, send("POST", "/admin/checkpoint", "Bearer " + TOKEN + "x").statusCode());
        assertEquals(401, send("POST", "/admin/checkpoint", TOKEN).statusCode());
    }

    @Test
    void checkpoint_withTokenAndNoJob_is409() throws Exception {
        HttpResponse<String> r = send("POST", "/admin/checkpoint", "Bearer " + TOKEN);

        assertEquals(409, r.statusCode());
        assertEquals("{\"error\":\"no job is running\"}", r.body());
    }

    @Test
    void strategy_badOrMissingName_is400_namingTheValidOnes() throws Exception {
        HttpResponse<String> bad = send("POST", "/admin/strategy?to=rung", "Bearer " + TOKEN);
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("unknown strategy 'rung'") && bad.body().contains("ring"), bad.body());

        HttpResponse<String> missing = send("POST", "/admin/strategy", "Bearer " + TOKEN);
        assertEquals(400, missing.statusCode());
        assertTrue(missing.body().contains("missing query parameter 'to'"), missing.body());
    }

    @Test
    void strategy_withoutToken_is401_andWithNoJob_is409() throws Exception {
        assertEquals(401, send("POST", "/admin/strategy?to=ring", null).statusCode());
        HttpResponse<String> r = send("POST", "/admin/strategy?to=ring", "Bearer " + TOKEN);
        assertEquals(409, r.statusCode());
        assertEquals("{\"error\":\"no job is running\"}", r.body());
    }

    @Test
    void checkpoint_duringAJob_writesTheFileAndNamesIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        try (LocalCluster training = LocalCluster.start(1, 1, ConfigFactory.parseString(
                "flock.admin.token = \"" + TOKEN + "\"\nflock.checkpoint.dir = \"" + dir + "\""))) {
            var started = new java.util.concurrent.CompletableFuture<Void>();
            var job = io.flock.actors.job.TrainingJob.builder().jobId("admin-ckpt")
                    .model(new io.flock.tensor.model.ModelSpec.Mlp(20, new int[] {8}, 4, 1))
                    .dataset(new io.flock.tensor.data.DatasetSpec.Synthetic(256, 32, 20, 4, 1))
                    .globalBatch(16).microBatches(2).steps(400).shards(2).build();
            var handle = training.node(0).submit(job, e -> {
                if (e instanceof io.flock.actors.job.TrainingEvent.StepCompleted) started.complete(null);
            });
            started.get(60, java.util.concurrent.TimeUnit.SECONDS);
            int adminPort = training.node(0).adminPort().orElseThrow();

            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort
                            + "/admin/checkpoint")).POST(HttpRequest.BodyPublishers.noBody())
                    .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().startsWith("{\"jobId\":\"admin-ckpt\",\"step\":"), r.body());
            String path = r.body().replaceAll(".*\"path\":\"([^\"]+)\".*", "$1");
            assertTrue(java.nio.file.Files.exists(java.nio.file.Path.of(path)), r.body());
            handle.result().toCompletableFuture().get(120, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void metrics_stayOpenWithoutToken() throws Exception {
        assertTrue(MetricsScraper.scrape(cluster.node(0).metricsPort().orElseThrow()).contains("flock_cluster_members"));
    }

    @Test
    void noToken_noAdminEndpoint() throws Exception {
        try (LocalCluster plain = LocalCluster.start(1, 0, ConfigFactory.empty())) {
            assertTrue(plain.node(0).adminPort().isEmpty());
        }
    }

    static HttpResponse<String> send(String method, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) b.header("Authorization", authorization);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
