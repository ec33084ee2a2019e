package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.LocalCluster;
import io.flock.strategies.Strategy;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.worker.Worker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code auto} strategy on a live cluster: one worker is made slow (a real per-step delay on
 * its node) and the policy, fed measured compute times and link probes, moves the job to
 * ps-ssp; when the delay is removed it moves the job back to a bulk-synchronous strategy. Each
 * evaluation is an event with its reason.
 */
class AutoStrategyTest {

    LocalCluster cluster;
    final List<TrainingEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void aStragglerMovesTheJobToPsSsp_andBackWhenItRecovers() throws Exception {
        cluster = LocalCluster.start(3, 1, ConfigFactory.empty());
        CompletableFuture<Void> warm = new CompletableFuture<>();
        CompletableFuture<TrainingEvent.StrategyChanged> toSsp = new CompletableFuture<>();
        CompletableFuture<TrainingEvent.StrategyChanged> fromSsp = new CompletableFuture<>();
        cluster.node(0).submit(TestJobs.job("auto", 100_000, 3, 3, 2, Strategy.AUTO), e -> {
            events.add(e);
            if (e instanceof TrainingEvent.StepCompleted s && s.step() >= 15) warm.complete(null);
            if (e instanceof TrainingEvent.StrategyChanged c && c.to() == Strategy.PS_SSP) toSsp.complete(c);
            if (e instanceof TrainingEvent.StrategyChanged c && c.from() == Strategy.PS_SSP) fromSsp.complete(c);
        });
        warm.get(120, TimeUnit.SECONDS);
        ActorRef<Worker.Command> straggler = TestJobs.workerOn(cluster, 2);

        straggler.tell(new Worker.SetStepDelay(Duration.ofMillis(300)));
        TrainingEvent.StrategyChanged slow = toSsp.get(180, TimeUnit.SECONDS);
        straggler.tell(new Worker.SetStepDelay(Duration.ZERO));
        TrainingEvent.StrategyChanged recovered = fromSsp.get(180, TimeUnit.SECONDS);

        assertTrue(slow.reason().startsWith("auto: ps-ssp predicted"), slow.reason());
        assertTrue(recovered.atStep() > slow.atStep(), recovered + " after " + slow);
        assertFalse(recovered.to().appliesOnArrival(), "back to a bulk-synchronous strategy: " + recovered);
        List<TrainingEvent.StrategyDecided> decisions = TestJobs.eventsOf(events, TrainingEvent.StrategyDecided.class);
        assertTrue(decisions.stream().anyMatch(d -> d.choice() == Strategy.PS_SSP && d.reason().contains("compute per rank")),
                "the decision and its measurements are events: " + decisions);
        assertFalse(events.stream().anyMatch(TrainingEvent.Failed.class::isInstance), events.toString());
    }
}
