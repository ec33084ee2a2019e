package io.flock.actors.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.actors.shard.ParameterShard;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class ShardGatherTest {

    static final long[] BOUNDS = {0, 2, 5};

    static ParameterShard.Snapshot snap(int shard, long version, long... applied) {
        int len = (int) (BOUNDS[shard + 1] - BOUNDS[shard]);
        return new ParameterShard.Snapshot("j", shard, version, Nd4j.valueArrayOf(new long[] {len}, shard + 1.0, DataType.FLOAT),
                Nd4j.valueArrayOf(new long[] {2, len}, 10.0 * (shard + 1), DataType.FLOAT), applied);
    }

    @Test
    void accept_snapshotsOfAllShards_assembleParamsAndStateColumns() {
        ShardGather g = new ShardGather(BOUNDS, 3);
        assertTrue(g.accept(snap(1, 3, 0, 1, 2)));
        assertFalse(g.complete());
        assertTrue(g.accept(snap(0, 3, 0, 1, 2)));
        assertTrue(g.complete());
        assertEquals(Nd4j.createFromArray(1f, 1f, 2f, 2f, 2f), g.params());
        assertEquals(Nd4j.createFromArray(new float[][] {{10, 10, 20, 20, 20}, {10, 10, 20, 20, 20}}), g.optimizerState());
        assertNull(g.verifyAppliedSteps(0));
    }

    @Test
    void accept_wrongVersionOrRepeat_isIgnored() {
        ShardGather g = new ShardGather(BOUNDS, 3);
        assertFalse(g.accept(snap(0, 4, 0, 1, 2, 3)));
        assertTrue(g.accept(snap(0, 3, 0, 1, 2)));
        assertFalse(g.accept(snap(0, 3, 0, 1, 2)));
        assertEquals(1, g.missing());
    }

    @Test
    void verifyAppliedSteps_gapOrDuplicate_isReported() {
        ShardGather gap = new ShardGather(BOUNDS, 3);
        gap.accept(snap(0, 3, 0, 1, 2));
        gap.accept(snap(1, 3, 0, 2, 2));
        assertTrue(gap.verifyAppliedSteps(0).startsWith("shard 1 applied steps [0, 2, 2]"), gap.verifyAppliedSteps(0));

        ShardGather resumed = new ShardGather(BOUNDS, 5);
        resumed.accept(snap(0, 5, 3, 4));
        resumed.accept(snap(1, 5, 3, 4));
        assertNull(resumed.verifyAppliedSteps(3));
        assertNull(resumed.verifyAppliedSteps(-1), "adopted: first version taken from the logs");
        assertTrue(resumed.verifyAppliedSteps(0).contains("expected exactly 0..4"));
    }

    static ParameterShard.SspProgress progress(int shard, long atClock, long first, long complete, long applied,
            long maxStaleness, long... above) {
        int len = (int) (BOUNDS[shard + 1] - BOUNDS[shard]);
        return new ParameterShard.SspProgress("j", shard, atClock, first, complete, above, applied, applied + 3,
                maxStaleness, false, Nd4j.valueArrayOf(new long[] {len}, shard + 1.0, DataType.FLOAT));
    }

    @Test
    void verifySsp_everyClockWholeOnceAndStalenessWithinBound_passes() {
        ShardGather g = new ShardGather(BOUNDS, 4);
        assertFalse(g.accept(progress(0, 5, 0, 5, 20, 1)), "another clock");
        assertTrue(g.accept(progress(0, 4, 0, 4, 16, 2)));
        assertTrue(g.accept(progress(1, 4, 0, 4, 16, 1)));
        assertEquals(Nd4j.createFromArray(1f, 1f, 2f, 2f, 2f), g.params());
        assertNull(g.verifySsp(0, 4, 2));
        assertNull(g.verifySsp(-1, 4, 2), "adopted: first clock taken from the shards");
        assertTrue(g.verifySsp(0, 4, 1).contains("shard 0 observed staleness 2 above the bound 1"), g.verifySsp(0, 4, 1));
        assertNull(g.verifySsp(0, 4, io.flock.strategies.SspClock.ASP), "ps-asp has no bound");
    }

    @Test
    void verifySsp_missingOrExtraGradient_isReported() {
        ShardGather missing = new ShardGather(BOUNDS, 4);
        missing.accept(progress(0, 4, 0, 4, 16, 0));
        missing.accept(progress(1, 4, 0, 3, 15, 0, 12, 13, 14));
        assertTrue(missing.verifySsp(0, 4, 2).startsWith("shard 1 started at clock 0, has clocks below 3 whole, 3 gradient(s) above"),
                missing.verifySsp(0, 4, 2));

        ShardGather twice = new ShardGather(BOUNDS, 4);
        twice.accept(progress(0, 4, 0, 4, 17, 0));
        twice.accept(progress(1, 4, 0, 4, 16, 0));
        assertTrue(twice.verifySsp(0, 4, 2).contains("17 applied"), twice.verifySsp(0, 4, 2));
    }
}
