package io.flock.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.tensor.optim.OptimizerSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class SspClockTest {

    @Test
    void mayStart_slowestWithinStaleness_allowsAndOtherwiseWaits() {
        SspClock clock = new SspClock(2, 1);
        clock.finished(0);
        assertTrue(clock.tryStart(0), "clock 1 with slowest at 0, s = 1");
        clock.finished(0);
        assertFalse(clock.tryStart(0), "clock 2 with slowest at 0");
        assertEquals(List.of(0), clock.waiting());
        assertEquals(List.of(0), clock.finished(1), "worker 1 reaching clock 1 releases worker 0");
        assertTrue(clock.waiting().isEmpty());
    }

    @Test
    void mayStart_asp_neverWaits() {
        SspClock clock = new SspClock(3, SspClock.ASP);
        for (int i = 0; i < 1000; i++) clock.finished(0);
        assertTrue(clock.tryStart(0));
    }

    /**
     * Property: thousands of random interleavings of N workers with random speeds, updates applied
     * by the shard in random order and sometimes replayed. Observed staleness never exceeds s, a
     * worker waits only while the rule forbids it, and the bound is reached (the test has teeth).
     */
    @Test
    void randomSchedules_stalenessNeverExceedsBound_andNoWorkerWaitsNeedlessly() {
        int[] bounds = {0, 1, 2, 3, SspClock.ASP};
        Map<Integer, Long> maxSeen = new HashMap<>();
        for (int run = 0; run < 2000; run++) {
            Random random = new Random(run);
            int s = bounds[run % bounds.length];
            int workers = 1 + random.nextInt(5);
            long max = simulate(random, workers, s, 12);
            maxSeen.merge(s, max, Math::max);
        }
        for (int s = 0; s <= 3; s++) assertEquals(s, maxSeen.get(s), "bound reached for s=" + s);
        assertTrue(maxSeen.get(SspClock.ASP) > 3, "ASP is not bounded by anything small");
    }

    /** One random schedule; returns the largest staleness observed. */
    private static long simulate(Random random, int workers, int s, int clocks) {
        SspClock clock = new SspClock(workers, s);
        SspShardState shard = new SspShardState(Nd4j.zeros(DataType.FLOAT, 1), Nd4j.zeros(DataType.FLOAT, 1, 1),
                new OptimizerSpec.Sgd(0.1), workers);
        int[] speed = random.ints(workers, 1, 5).toArray();
        List<Integer> computing = new ArrayList<>();
        List<Integer> pushed = new ArrayList<>();
        for (int w = 0; w < workers; w++) if (clock.tryStart(w)) computing.add(w);
        while (!computing.isEmpty() || !pushed.isEmpty()) {
            List<Integer> events = new ArrayList<>();
            for (int w : computing) for (int k = 0; k < speed[w]; k++) events.add(w);
            for (int w : pushed) events.add(-1 - w);
            int e = events.get(random.nextInt(events.size()));
            if (e >= 0) {
                computing.remove(Integer.valueOf(e));
                pushed.add(e);
                continue;
            }
            int w = -1 - e;
            pushed.remove(Integer.valueOf(w));
            SspShardState.Ack ack = shard.push(clock.clock(w), w, Nd4j.ones(DataType.FLOAT, 1));
            assertTrue(ack.applied());
            assertTrue(ack.staleness() <= s, "staleness " + ack.staleness() + " > " + s);
            if (random.nextInt(8) == 0) assertFalse(shard.push(clock.clock(w), w, Nd4j.ones(DataType.FLOAT, 1)).applied());
            List<Integer> released = clock.finished(w);
            computing.addAll(released);
            if (clock.clock(w) < clocks && clock.tryStart(w)) computing.add(w);
            for (int v : clock.waiting()) assertFalse(clock.mayStart(clock.clock(v)), "worker " + v + " waits needlessly");
            if (s == SspClock.ASP) assertTrue(clock.waiting().isEmpty());
        }
        assertTrue(clock.waiting().isEmpty(), "every worker finished");
        assertEquals((long) workers * clocks, shard.applied(), "every acknowledged gradient applied once");
        assertTrue(shard.acknowledged() >= shard.applied());
        return shard.maxStaleness();
    }
}
