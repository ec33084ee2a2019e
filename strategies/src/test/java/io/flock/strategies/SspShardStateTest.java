package io.flock.strategies;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void forgetBelow_dropsOldDedupeKeysOnly() {
        SspShardState s = shard(2);
        s.push(0, 0, filled(1));
        s.push(4, 0, filled(1));
        s.forgetBelow(3);
        assertFalse(s.push(4, 0, filled(1)).applied());
        assertTrue(s.push(0, 0, filled(1)).applied(), "forgotten: the caller promises no worker replays clock 0");
    }
}
