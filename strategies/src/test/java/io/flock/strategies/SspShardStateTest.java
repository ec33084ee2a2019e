package io.flock.strategies;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.tensor.optim.OptimizerSpec;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SspShardStateTest {

    static final OptimizerSpec SGD = new OptimizerSpec.Sgd(1.0);

    static SspShardState shard(int microBatches) {
        return new SspShardState(Nd4j.zeros(DataType.FLOAT, 2), Nd4j.zeros(DataType.FLOAT, 1, 2), SGD, microBatches);
    }

    static INDArray filled(double v) {
        return Nd4j.valueArrayOf(new long[] {2}, v, DataType.FLOAT);
    }

    @Test
    void push_appliesEachGradientOnArrivalScaledByOneOverM() {
        SspShardState s = shard(2);
        assertTrue(s.push(0, 1, filled(4)).applied());
        assertArrayEquals(new float[] {-2, -2}, s.params().toFloatVector(), "applied without waiting for m = 0");
        s.push(0, 0, filled(2));
        assertArrayEquals(new float[] {-3, -3}, s.params().toFloatVector(), "SGD: one BSP step of the mean");
    }

    @Test
    void push_duplicateClockAndMicroBatch_isAcknowledgedNotApplied() {
        SspShardState s = shard(2);
        s.push(3, 0, filled(1));
        assertFalse(s.push(3, 0, filled(100)).applied());
        assertArrayEquals(new float[] {-0.5f, -0.5f}, s.params().toFloatVector());
        assertEquals(1, s.applied());
        assertEquals(2, s.acknowledged());
    }

    @Test
    void push_olderClockAfterNewer_recordsItsStaleness() {
        SspShardState s = shard(1);
        assertEquals(0, s.push(5, 0, filled(1)).staleness());
        assertEquals(3, s.push(2, 0, filled(1)).staleness());
        assertEquals(0, s.push(6, 0, filled(1)).staleness());
        assertEquals(3, s.maxStaleness());
        assertEquals(1.0, s.meanStaleness(), 1e-12);
    }

    @Test
    void restore_fromExport_continuesIdenticallyAndKeepsDedupe() {
        SspShardState a = shard(2);
        a.push(0, 0, filled(1));
        a.push(1, 1, filled(3));
        SspShardState b = SspShardState.restore(a.export(), SGD, 2);
        assertFalse(b.push(1, 1, filled(3)).applied(), "dedupe keys carried over");
        a.push(1, 1, filled(3));
        a.push(0, 1, filled(7));
        b.push(0, 1, filled(7));
        assertArrayEquals(a.params().toFloatVector(), b.params().toFloatVector());
        assertEquals(a.applied(), b.applied());
        assertEquals(a.acknowledged(), b.acknowledged());
        assertEquals(a.maxStaleness(), b.maxStaleness());
    }

    @Test
    void complete_advancesOverWholeClocksOnly_andReplaysBelowItAreDuplicates() {
        SspShardState s = shard(2);
        s.push(1, 0, filled(1));
        s.push(1, 1, filled(1));
        assertEquals(0, s.complete(), "clock 0 is not whole yet");
        s.push(0, 1, filled(1));
        assertEquals(0, s.complete());
        s.push(0, 0, filled(1));
        assertEquals(2, s.complete(), "clocks 0 and 1 are whole");
        assertTrue(s.quiesced());
        assertArrayEquals(new long[0], s.appliedAbove(), "keys of whole clocks are dropped");
        assertFalse(s.push(0, 1, filled(100)).applied(), "a replay below complete is a duplicate");
        assertEquals(4, s.applied());
        assertTrue(s.isApplied(1, 0));
        s.push(3, 1, filled(1));
        assertArrayEquals(new long[] {7}, s.appliedAbove());
        assertFalse(s.quiesced());
    }

    @Test
    void fromBsp_atAStepBoundary_startsAtItsVersionAndRefusesOlderClocks() {
        BspShardState bsp = new BspShardState(filled(1), Nd4j.zeros(DataType.FLOAT, 1, 2), SGD, 2, 5);
        SspShardState s = SspShardState.fromBsp(bsp.export(), SGD, 2);
        assertEquals(5, s.complete());
        assertEquals(5, s.firstClock());
        assertFalse(s.push(4, 0, filled(1)).applied(), "steps before the switch were applied under BSP");
        assertEquals(0, s.push(5, 0, filled(2)).staleness());
        assertArrayEquals(new float[] {0, 0}, s.params().toFloatVector());
        assertArrayEquals(new float[] {1, 1}, bsp.params().toFloatVector(), "the BSP state is not shared");
    }

    @Test
    void fromBsp_withAStepPending_isRefused() {
        BspShardState bsp = new BspShardState(filled(1), Nd4j.zeros(DataType.FLOAT, 1, 2), SGD, 2, 0);
        bsp.push(0, 1, filled(1));
        assertFalse(bsp.quiesced());
        assertThrows(IllegalStateException.class, () -> SspShardState.fromBsp(bsp.export(), SGD, 2));
    }

    @Test
    void toBsp_whenQuiesced_continuesAsBspAtTheCompleteClock() {
        SspShardState s = shard(2);
        s.push(0, 0, filled(2));
        assertThrows(IllegalStateException.class, s::toBsp, "clock 0 is half applied");
        s.push(0, 1, filled(2));
        BspShardState bsp = BspShardState.restore(s.toBsp(), SGD, 2);
        assertEquals(1, bsp.version());
        assertArrayEquals(s.params().toFloatVector(), bsp.params().toFloatVector());
        assertEquals(BspShardState.Outcome.DUPLICATE, bsp.push(0, 0, filled(1)));
        bsp.push(1, 0, filled(2));
        assertEquals(BspShardState.Outcome.APPLIED, bsp.push(1, 1, filled(4)));
        assertArrayEquals(new float[] {-5, -5}, bsp.params().toFloatVector(), "-2 under SSP, then the mean 3");
    }

    @Test
    void bspToSspToBsp_carriesTheAppliedStepLog() {
        BspShardState bsp = new BspShardState(filled(0), Nd4j.zeros(DataType.FLOAT, 1, 2), SGD, 1, 0);
        bsp.push(0, 0, filled(1));
        bsp.push(1, 0, filled(1));
        SspShardState s = SspShardState.restore(SspShardState.fromBsp(bsp.export(), SGD, 1).export(), SGD, 1);
        s.push(2, 0, filled(1));
        s.push(3, 0, filled(1));
        assertArrayEquals(new long[] {0, 1, 2, 3}, s.toBsp().appliedSteps());
    }

    /**
     * Property: the gate a shard applies under SSP — a worker may start clock c once
     * {@code complete() >= c - s} — keeps every observed staleness within s, on random schedules
     * where workers pipeline (start the next clock before their pushes are applied), pushes are
     * applied in random order and replayed, and micro-batches are spread over the workers.
     */
    @Test
    void gateOnComplete_randomSchedules_stalenessNeverExceedsBound() {
        int[] bounds = {0, 1, 2, 3, SspClock.ASP};
        long[] maxSeen = new long[bounds.length];
        for (int run = 0; run < 1500; run++) {
            java.util.Random random = new java.util.Random(run);
            int b = run % bounds.length;
            maxSeen[b] = Math.max(maxSeen[b], simulateGate(random, bounds[b], 1 + random.nextInt(4), 10));
        }
        for (int b = 0; b < 4; b++) assertEquals(bounds[b], maxSeen[b], "bound reached for s=" + bounds[b]);
        assertTrue(maxSeen[4] > 3, "ASP is not bounded by anything small");
    }

    /** One random schedule of W workers, 2 micro-batches each; returns the largest staleness observed. */
    private static long simulateGate(java.util.Random random, int s, int workers, int clocks) {
        int m = 2 * workers;
        SspShardState shard = new SspShardState(Nd4j.zeros(DataType.FLOAT, 1), Nd4j.zeros(DataType.FLOAT, 1, 1),
                new OptimizerSpec.Sgd(0.1), m);
        long[] next = new long[workers];
        boolean[] computing = new boolean[workers];
        int[] speed = random.ints(workers, 1, 6).toArray();
        java.util.List<long[]> inFlight = new java.util.ArrayList<>(); // {clock, micro-batch}
        while (true) {
            for (int w = 0; w < workers; w++) {
                if (!computing[w] && next[w] < clocks && (s == SspClock.ASP || shard.complete() >= next[w] - s)) {
                    computing[w] = true;
                }
            }
            java.util.List<Integer> events = new java.util.ArrayList<>();
            for (int w = 0; w < workers; w++) if (computing[w]) for (int k = 0; k < speed[w]; k++) events.add(w);
            for (int i = 0; i < inFlight.size(); i++) events.add(-1 - i);
            if (events.isEmpty()) break;
            int e = events.get(random.nextInt(events.size()));
            if (e >= 0) {
                computing[e] = false;
                inFlight.add(new long[] {next[e], 2L * e});
                inFlight.add(new long[] {next[e], 2L * e + 1});
                next[e]++;
            } else {
                long[] push = inFlight.remove(-1 - e);
                SspShardState.Ack ack = shard.push(push[0], (int) push[1], Nd4j.ones(DataType.FLOAT, 1));
                assertTrue(ack.staleness() <= s, "staleness " + ack.staleness() + " > " + s);
                if (random.nextInt(6) == 0) inFlight.add(push); // replayed later: a duplicate
            }
        }
        assertEquals(clocks, shard.complete(), "every clock whole");
        assertEquals((long) m * clocks, shard.applied(), "every gradient applied exactly once");
        return shard.maxStaleness();
    }
}
