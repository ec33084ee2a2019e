package io.flock.actors.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.actors.shard.ParameterShard;
import io.flock.strategies.Strategy;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** {@link BspLoop} message by message: shards and coordinator are probes, timers fired by hand. */
class BspLoopTest {

    static final ActorTestKit KIT = ActorTestKit.create();
    static final Duration QUIET = Duration.ofMillis(100);

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    private static long expectPulls(LoopFixture f, long step) {
        long request = -1;
        for (var shard : f.shards) {
            ParameterShard.Pull pull = shard.expectMessageClass(ParameterShard.Pull.class);
            assertEquals(step, pull.version());
            request = pull.requestId();
        }
        return request;
    }

    private static void answer(LoopFixture f, BspLoop loop, int shard, long step, long request) {
        loop.onPulled(new ParameterShard.Pulled(LoopFixture.JOB, shard, step, request, f.slice(shard)));
    }

    private static Set<Integer> expectPushes(LoopFixture f, int shard, long step, int count) {
        Set<Integer> microBatches = new HashSet<>();
        for (int i = 0; i < count; i++) {
            ParameterShard.Push push = f.shards.get(shard).expectMessageClass(ParameterShard.Push.class);
            assertEquals(step, push.step());
            assertEquals(f.sliceLength(shard), push.gradient().length());
            microBatches.add(push.microBatch());
        }
        return microBatches;
    }

    @Test
    void start_pullsEveryShardAndSetsTheRetryTimer() {
        LoopFixture f = new LoopFixture(KIT, Strategy.PS_BSP, 3);
        new BspLoop(f.context).start(f.job, f.assignment, f.coordinator.ref(), true);
        long request = expectPulls(f, 0);
        assertEquals(request, f.scheduler.lastRetryRequest());
        assertEquals(5_000, f.scheduler.retries.get(0)[1], "flock.worker.pull-retry");
    }

    @Test
    void onPulled_allShards_pushesRoundRobinMicroBatchesReportsAndPullsTheNextStep() {
        LoopFixture f = new LoopFixture(KIT, Strategy.PS_BSP, 3);
        BspLoop loop = new BspLoop(f.context);
        loop.start(f.job, f.assignment, f.coordinator.ref(), true);
        long request = expectPulls(f, 0);
        answer(f, loop, 0, 0, request);
        f.shards.get(0).expectNoMessage(QUIET);
        answer(f, loop, 1, 0, request);
        assertEquals(Set.of(0, 2), expectPushes(f, 0, 0, 2), "rank 0 of 2 holds micro-batches 0 and 2");
        assertEquals(Set.of(0, 2), expectPushes(f, 1, 0, 2));
        WorkerReport.StepDone done = f.coordinator.expectMessageClass(WorkerReport.StepDone.class);
        assertEquals(0, done.step());
        assertArrayEquals(new int[] {0, 2}, done.microBatches());
        assertTrue(expectPulls(f, 1) > request, "a new round has a new request id");
    }

    @Test
    void onPullRetry_stalledPull_asksTheSilentShardAgainWithTheLastPushes() {
        LoopFixture f = new LoopFixture(KIT, Strategy.PS_BSP, 3);
        BspLoop loop = new BspLoop(f.context);
        loop.start(f.job, f.assignment, f.coordinator.ref(), true);
        long first = expectPulls(f, 0);
        answer(f, loop, 0, 0, first);
        answer(f, loop, 1, 0, first);
        expectPushes(f, 0, 0, 2);
        expectPushes(f, 1, 0, 2);
        long second = expectPulls(f, 1);
        answer(f, loop, 0, 1, second);

        loop.onPullRetry(first);
        f.shards.get(1).expectNoMessage(QUIET); // a superseded round's timer does nothing

        loop.onPullRetry(second);
        ParameterShard.Pull again = f.shards.get(1).expectMessageClass(ParameterShard.Pull.class);
        assertEquals(1, again.version());
        assertEquals(second, again.requestId());
        assertEquals(Set.of(0, 2), expectPushes(f, 1, 0, 2), "step 0's pushes to the silent shard, sent again");
        f.shards.get(0).expectNoMessage(QUIET); // shard 0 answered: nothing for it
        assertEquals(second, f.scheduler.lastRetryRequest(), "the retry timer is set again");
    }

    @Test
    void onPulled_newerVersion_resumesBelowIt() {
        LoopFixture f = new LoopFixture(KIT, Strategy.PS_BSP, 10);
        BspLoop loop = new BspLoop(f.context);
        loop.start(f.job, f.assignment, f.coordinator.ref(), true);
        long request = expectPulls(f, 0);
        answer(f, loop, 0, 5, request);
        assertTrue(expectPulls(f, 4) > request, "every shard holds version 5 - 1: pulled anew from there");
        assertEquals(4, loop.step());
    }

    @Test
    void runTo_stepInPull_repullsThenReportsAtTheBoundary() {
        LoopFixture f = new LoopFixture(KIT, Strategy.PS_BSP, 3);
        BspLoop loop = new BspLoop(f.context);
        loop.start(f.job, f.assignment, f.coordinator.ref(), true);
        long stale = expectPulls(f, 0);
        loop.runTo(1);
        long request = expectPulls(f, 0);
        answer(f, loop, 0, 0, stale);
        answer(f, loop, 1, 0, stale);
        f.shards.get(0).expectNoMessage(QUIET); // answers to the superseded round are dropped
        answer(f, loop, 0, 0, request);
        answer(f, loop, 1, 0, request);
        expectPushes(f, 0, 0, 2);
        f.coordinator.expectMessageClass(WorkerReport.StepDone.class);
        assertEquals(new WorkerReport.AtBoundary(LoopFixture.JOB, 1, 0, 1),
                f.coordinator.expectMessageClass(WorkerReport.AtBoundary.class));
        f.coordinator.expectNoMessage(QUIET);
        assertEquals(1, loop.hold(), "nothing from step 1 on is begun");
    }

    @Test
    void onStepDelayElapsed_delaySet_computesOnlyOnceItElapsed() {
        LoopFixture f = new LoopFixture(KIT, Strategy.PS_BSP, 3);
        f.stepDelay = Duration.ofMillis(300);
        BspLoop loop = new BspLoop(f.context);
        loop.start(f.job, f.assignment, f.coordinator.ref(), true);
        long request = expectPulls(f, 0);
        answer(f, loop, 0, 0, request);
        answer(f, loop, 1, 0, request);
        assertEquals(1, f.scheduler.delays.size());
        assertEquals(request, f.scheduler.delays.get(0)[1]);
        f.shards.get(0).expectNoMessage(QUIET);
        loop.onStepDelayElapsed(1, request);
        expectPushes(f, 0, 0, 2);
        WorkerReport.StepDone done = f.coordinator.expectMessageClass(WorkerReport.StepDone.class);
        assertTrue(done.computeNanos() >= Duration.ofMillis(300).toNanos(), "the delay counts as compute");
    }

    @Test
    void prepare_dropsThePullInFlight() {
        LoopFixture f = new LoopFixture(KIT, Strategy.PS_BSP, 3);
        BspLoop loop = new BspLoop(f.context);
        loop.start(f.job, f.assignment, f.coordinator.ref(), true);
        long request = expectPulls(f, 0);
        loop.prepare();
        answer(f, loop, 0, 0, request);
        answer(f, loop, 1, 0, request);
        loop.onPullRetry(request);
        f.shards.get(0).expectNoMessage(QUIET);
        f.coordinator.expectNoMessage(QUIET);
    }
}
