package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.LocalCluster;
import io.flock.strategies.Strategy;
import io.flock.actors.job.SwitchResult;
import io.flock.actors.job.TrainingEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One BSP job switched between strategies while it trains: parameters, optimizer state (Adam's
 * moments and bias-correction step) and the applied-step log move across each switch, so the
 * run ends on the single-process reference trajectory (which plain ps-bsp follows exactly, see
 * {@link BspDeterminismTest}) and the shards' final logs hold every step once.
 */
class StrategySwitchTest {

    static final long STEPS = 60;
    static final Duration SWITCH_TIMEOUT = Duration.ofSeconds(60);

    LocalCluster cluster;
    final List<TrainingEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @ParameterizedTest(name = "{0} workers")
    @ValueSource(ints = {2, 3})
    void psBsp20_ring20_psBsp20_endsOnTheReference(int workers) throws Exception {
        cluster = LocalCluster.start(workers, 1, ConfigFactory.empty());
        String id = "switch-ps-ring-" + workers;
        JobHandle handle = submit(TestJobs.job(id, STEPS, workers, workers, 3, Strategy.PS_BSP), 20);

        switchAt(id, Strategy.RING, 20);
        awaitStep(35);
        switchAt(id, Strategy.PS_BSP, 40);

        TestJobs.assertOnReferenceTrajectory(TestJobs.await(handle, events), events, 0, STEPS);
        assertSwitches(List.of(Strategy.PS_BSP, Strategy.RING, Strategy.PS_BSP), List.of(20L, 40L));
        assertSynchronisedWith(Strategy.PS_BSP, Strategy.RING);
    }

    @ParameterizedTest(name = "{0} workers")
    @ValueSource(ints = {2, 3})
    void ring30_tree30_endsOnTheReference(int workers) throws Exception {
        cluster = LocalCluster.start(workers, 1, ConfigFactory.empty());
        String id = "switch-ring-tree-" + workers;
        JobHandle handle = submit(TestJobs.job(id, STEPS, workers, workers, 2, Strategy.RING), 30);

        switchAt(id, Strategy.TREE, 30);

        TestJobs.assertOnReferenceTrajectory(TestJobs.await(handle, events), events, 0, STEPS);
        assertSwitches(List.of(Strategy.RING, Strategy.TREE), List.of(30L));
        assertSynchronisedWith(Strategy.RING, Strategy.TREE);
    }

    /**
     * Through the parameter server's asynchronous modes and back to peer-to-peer: the shards
     * convert their state at each boundary (ps-bsp → ps-ssp at 20, ps-ssp → ring at 40 via
     * BSP shards). SSP is not deterministic, so no reference check; the final evaluation still
     * verifies every shard's applied-step log (BSP steps, SSP clocks, ring steps) — the job would
     * fail otherwise.
     */
    @org.junit.jupiter.api.Test
    void psBsp20_psSsp20_ring20_completesWithEveryStepAppliedOnce() throws Exception {
        cluster = LocalCluster.start(3, 1, ConfigFactory.empty());
        String id = "switch-ssp";
        JobHandle handle = submit(TestJobs.job(id, STEPS, 3, 3, 2, Strategy.PS_BSP), 20);

        switchAt(id, Strategy.PS_SSP, 20);
        awaitStep(35);
        switchAt(id, Strategy.RING, 40);

        var result = TestJobs.await(handle, events);
        assertEquals(STEPS, result.steps());
        assertSwitches(List.of(Strategy.PS_BSP, Strategy.PS_SSP, Strategy.RING), List.of(20L, 40L));
        assertSynchronisedWith(Strategy.PS_BSP, Strategy.PS_SSP, Strategy.RING);
        assertTrue(result.finalLoss() < TestJobs.reference(STEPS).firstLoss(), "it trained: " + result.finalLoss());
    }

    private final CompletableFuture<Void> pastStep = new CompletableFuture<>();
    private volatile long waitFor = Long.MAX_VALUE;

    /** Submits and returns well before {@code switchStep}, so the switch lands exactly there. */
    private JobHandle submit(io.flock.actors.job.TrainingJob job, long switchStep) throws Exception {
        CompletableFuture<Void> started = new CompletableFuture<>();
        JobHandle handle = cluster.node(0).submit(job, e -> {
            events.add(e);
            if (e instanceof TrainingEvent.StepCompleted s) {
                if (s.step() >= switchStep / 2) started.complete(null);
                if (s.step() >= waitFor) pastStep.complete(null);
            }
        });
        started.get(120, TimeUnit.SECONDS);
        return handle;
    }

    private void awaitStep(long step) throws Exception {
        waitFor = step;
        if (events.stream().anyMatch(e -> e instanceof TrainingEvent.StepCompleted s && s.step() >= step)) return;
        pastStep.get(120, TimeUnit.SECONDS);
    }

    private void switchAt(String jobId, Strategy to, long step) throws Exception {
        SwitchResult r = cluster.node(1).switchStrategy(jobId, to, step, SWITCH_TIMEOUT).toCompletableFuture()
                .get(90, TimeUnit.SECONDS);
        assertTrue(r.ok(), "switch to " + to.id() + " refused: " + r.error());
        assertEquals(to, r.strategy());
        assertEquals(step, r.atStep(), "took effect at the requested step");
    }

    /**
     * The workers really moved data under each strategy (the events alone would also be there if
     * a switch only relabelled the job): every node's {@code flock_sync_bytes_total} has bytes
     * for each of them.
     */
    private void assertSynchronisedWith(Strategy... strategies) throws Exception {
        for (Strategy s : strategies) {
            double bytes = 0;
            for (var node : cluster.nodes()) {
                String page = io.flock.actors.metrics.MetricsScraper.scrape(node.metricsPort().orElseThrow());
                double v = io.flock.actors.metrics.MetricsScraper.value(page,
                        "flock_sync_bytes_total{strategy=\"" + s.id() + "\",}");
                if (!Double.isNaN(v)) bytes += v; // NaN: that node recorded none for s
            }
            assertTrue(bytes > 0, "no worker synchronised any bytes under " + s.id());
        }
    }

    private void assertSwitches(List<Strategy> path, List<Long> atSteps) {
        assertFalse(events.stream().anyMatch(TrainingEvent.Failed.class::isInstance), events.toString());
        List<TrainingEvent.StrategyChanged> changes = TestJobs.eventsOf(events, TrainingEvent.StrategyChanged.class);
        assertEquals(path.size() - 1, changes.size(), "one event per switch: " + changes);
        for (int i = 0; i < changes.size(); i++) {
            assertEquals(path.get(i), changes.get(i).from());
            assertEquals(path.get(i + 1), changes.get(i).to());
            assertEquals(atSteps.get(i), changes.get(i).atStep());
        }
    }
}
