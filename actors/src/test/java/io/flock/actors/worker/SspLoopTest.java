package io.flock.actors.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flock.actors.shard.ParameterShard;
import io.flock.strategies.Strategy;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** {@link SspLoop} message by message: shards and coordinator are probes, timers fired by hand. */
class SspLoopTest {

    static final ActorTestKit KIT = ActorTestKit.create();
    static final Duration QUIET = Duration.ofMillis(100);

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    private static long expectPulls(LoopFixture f, long clock) {
        long request = -1;
        for (var shard : f.shards) {
            ParameterShard.SspPull pull = shard.expectMessageClass(ParameterShard.SspPull.class);
            assertEquals(clock, pull.clock());
            request = pull.requestId();
        }
        return request;
    }

    /** Answers the pulls of {@code clock}, takes the pushes; returns the next clock's request. */
    private static long computeClock(LoopFixture f, SspLoop loop, long clock, long request) {
        for (int s = 0; s < 2; s++) {
            loop.onSspPulled(new ParameterShard.SspPulled(LoopFixture.JOB, s, clock, request, f.slice(s)));
        }
        for (var shard : f.shards) {
            assertEquals(clock, shard.expectMessageClass(ParameterShard.SspPush.class).clock());
            assertEquals(clock, shard.expectMessageClass(ParameterShard.SspPush.class).clock());
        }
        return clock + 1 < f.assignment.totalSteps() ? expectPulls(f, clock + 1) : -1;
    }

    private static void ackAll(SspLoop loop, long clock, int except) {
        for (int s = 0; s < 2; s++) {
            for (int m : new int[] {0, 2}) {
                if (s * 10 + m != except) loop.onSspAcked(new ParameterShard.SspAcked(LoopFixture.JOB, s, clock, m));
            }
        }
    }

    @Test
    void onSspAcked_everyShardEveryMicroBatch_thenReported() {
        LoopFixture f = new LoopFixture(KIT, Strategy.PS_SSP, 5);
        SspLoop loop = new SspLoop(f.context);
        loop.start(f.job, f.assignment, f.coordinator.ref(), true);
        computeClock(f, loop, 0, expectPulls(f, 0));
        ackAll(loop, 0, 12); // all but (shard 1, micro-batch 2)
        f.coordinator.expectNoMessage(QUIET);
        loop.onSspAcked(new ParameterShard.SspAcked(LoopFixture.JOB, 1, 0, 2));
        WorkerReport.StepDone done = f.coordinator.expectMessageClass(WorkerReport.StepDone.class);
        assertEquals(0, done.step());
        assertArrayEquals(new int[] {0, 2}, done.microBatches());
    }

    @Test
    void runTo_waitsForTheAcksBeforeReportingTheBoundary() {
        LoopFixture f = new LoopFixture(KIT, Strategy.PS_SSP, 5);
        SspLoop loop = new SspLoop(f.context);
        loop.start(f.job, f.assignment, f.coordinator.ref(), true);
        long request = computeClock(f, loop, 0, expectPulls(f, 0));
        loop.runTo(1);
        for (int s = 0; s < 2; s++) {
            loop.onSspPulled(new ParameterShard.SspPulled(LoopFixture.JOB, s, 1, request, f.slice(s)));
        }
        f.shards.get(0).expectNoMessage(QUIET); // clock 1 is not begun
        f.coordinator.expectNoMessage(QUIET);
        ackAll(loop, 0, -1);
        f.coordinator.expectMessageClass(WorkerReport.StepDone.class);
        assertEquals(new WorkerReport.AtBoundary(LoopFixture.JOB, 1, 0, 1),
                f.coordinator.expectMessageClass(WorkerReport.AtBoundary.class));
    }

    @Test
    void onPullRetry_gatedPull_asksOnlyTheSilentShard() {
        LoopFixture f = new LoopFixture(KIT, Strategy.PS_SSP, 5);
        SspLoop loop = new SspLoop(f.context);
        loop.start(f.job, f.assignment, f.coordinator.ref(), true);
        long request = expectPulls(f, 0);
        loop.onSspPulled(new ParameterShard.SspPulled(LoopFixture.JOB, 0, 0, request, f.slice(0)));
        loop.onPullRetry(request);
        assertEquals(request, f.shards.get(1).expectMessageClass(ParameterShard.SspPull.class).requestId());
        f.shards.get(0).expectNoMessage(QUIET);
    }

    @Test
    void hold_returnsTheClockNotBegun() {
        LoopFixture f = new LoopFixture(KIT, Strategy.PS_SSP, 5);
        SspLoop loop = new SspLoop(f.context);
        loop.start(f.job, f.assignment, f.coordinator.ref(), true);
        computeClock(f, loop, 0, expectPulls(f, 0));
        assertEquals(1, loop.hold());
    }
}
