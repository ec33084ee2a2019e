package io.flock.actors.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.FlockConfig;
import io.flock.actors.admin.JobControl.Checkpointed;
import io.flock.actors.admin.JobControl.Job;
import io.flock.actors.admin.JobControl.Switched;
import io.flock.strategies.Strategy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The admin endpoint over a fake {@link JobControl} on a plain local ActorSystem (no cluster): the
 * configured timeouts reach the job control, and its answers become the documented responses.
 */
class AdminHttpJobControlTest {

    static final String TOKEN = "s3cret-admin-token-for-tests";

    ActorSystem<Void> system;

    /** Answers status with {@code job}; checkpoint and switch as given; records the timeouts it was asked with. */
    record FakeJobs(Job job, CompletionStage<Checkpointed> checkpointed, List<Duration> timeouts) implements JobControl {
        @Override
        public CompletionStage<Job> status(Duration timeout) {
            timeouts.add(timeout);
            // null: the coordinator does not answer, the ask fails as it would after the timeout
            return job == null ? CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("ask timed out"))
                    : CompletableFuture.completedFuture(job);
        }

        @Override
        public CompletionStage<Checkpointed> checkpoint(String jobId, Duration timeout) {
            timeouts.add(timeout);
            return checkpointed;
        }

        @Override
        public CompletionStage<Switched> switchStrategy(String jobId, Strategy target, Duration timeout) {
            timeouts.add(timeout);
            return CompletableFuture.completedFuture(new Switched(jobId, target.id(), 12, null));
        }
    }

    int start(JobControl jobs) {
        system = ActorSystem.create(Behaviors.empty(), "admin-test", FlockConfig.load(ConfigFactory.parseString("""
                pekko.actor.provider = local
                flock.metrics.enabled = off
                flock.admin { token = "%s", ask-timeout = 3s, action-timeout = 7s }
                """.formatted(TOKEN))));
        return AdminHttp.startIfEnabled(system, jobs).orElseThrow();
    }

    @AfterEach
    void stop() throws Exception {
        if (system != null) {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void checkpoint_runningJob_asksWithTheConfiguredTimeoutsAndAnswersTheFile() throws Exception {
        List<Duration> timeouts = new CopyOnWriteArrayList<>();
        int port = start(new FakeJobs(new Job("j", 3, 10, "ps-bsp", 2, 0),
                CompletableFuture.completedFuture(new Checkpointed("j", 4, "/tmp/j-4.ckpt", null)), timeouts));

        HttpResponse<String> r = post(port, "/admin/checkpoint");

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("{\"jobId\":\"j\",\"step\":4,\"path\":\"/tmp/j-4.ckpt\"}", r.body());
        assertEquals(List.of(Duration.ofSeconds(3), Duration.ofSeconds(7)), timeouts);
    }

    @Test
    void checkpoint_failed_is500WithTheError() throws Exception {
        int port = start(new FakeJobs(new Job("j", 3, 10, "ps-bsp", 2, 0),
                CompletableFuture.completedFuture(new Checkpointed("j", -1, "", "disk full")), new CopyOnWriteArrayList<>()));

        HttpResponse<String> r = post(port, "/admin/checkpoint");

        assertEquals(500, r.statusCode());
        assertTrue(r.body().contains("disk full"), r.body());
    }

    @Test
    void strategy_runningJob_answersTheStepItTookEffectAt() throws Exception {
        int port = start(new FakeJobs(new Job("j", 3, 10, "ps-bsp", 2, 0), null, new CopyOnWriteArrayList<>()));

        HttpResponse<String> r = post(port, "/admin/strategy?to=ring");

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("{\"jobId\":\"j\",\"strategy\":\"ring\",\"atStep\":12}", r.body());
    }

    @Test
    void checkpoint_coordinatorSilent_is503() throws Exception {
        int port = start(new FakeJobs(null, null, new CopyOnWriteArrayList<>()));

        HttpResponse<String> r = post(port, "/admin/checkpoint");

        assertEquals(503, r.statusCode(), r.body());
        assertTrue(r.body().contains("the coordinator did not answer"), r.body());
    }

    private static HttpResponse<String> post(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
