package io.flock.tensor.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

class BatchPlanTest {

    private final BatchPlan plan = new BatchPlan(42, 103, 20, 4);

    @Test
    void indices_twoEqualPlans_giveEqualIndices() {
        BatchPlan other = new BatchPlan(42, 103, 20, 4);

        for (long step = 0; step < 12; step++) {
            for (int m = 0; m < 4; m++) assertArrayEquals(plan.indices(step, m), other.indices(step, m));
        }
    }

    @Test
    void indices_callOrder_doesNotMatter() {
        int[] late = plan.indices(11, 3);
        for (long step = 0; step < 11; step++) plan.indices(step, 0);

        assertArrayEquals(late, new BatchPlan(42, 103, 20, 4).indices(11, 3));
    }

    @Test
    void indices_microBatchesOfStep_partitionTheStepWindow() {
        int[] perm = plan.permutation(0);
        for (long step = 0; step < plan.stepsPerEpoch(); step++) {
            int[] joined = new int[0];
            for (int m = 0; m < 4; m++) joined = concat(joined, plan.indices(step, m));
            int from = (int) step * 20;
            assertArrayEquals(Arrays.copyOfRange(perm, from, from + 20), joined);
        }
    }

    @Test
    void indices_withinEpoch_noSampleTwice() {
        BitSet seen = new BitSet();
        for (long step = 0; step < plan.stepsPerEpoch(); step++) {
            for (int m = 0; m < 4; m++) {
                for (int i : plan.indices(step, m)) {
                    assertTrue(i >= 0 && i < 103, "index " + i + " out of range");
                    assertFalse(seen.get(i), "sample " + i + " drawn twice in epoch 0");
                    seen.set(i);
                }
            }
        }
        assertEquals(100, seen.cardinality());
    }

    @Test
    void permutation_differentEpochs_differentOrders() {
        assertFalse(Arrays.equals(plan.permutation(0), plan.permutation(1)));
        assertFalse(Arrays.equals(plan.indices(0, 0), plan.indices(plan.stepsPerEpoch(), 0)));
    }

    @Test
    void permutation_differentSeeds_differentOrders() {
        assertFalse(Arrays.equals(plan.permutation(0), new BatchPlan(43, 103, 20, 4).permutation(0)));
    }

    @Test
    void permutation_isAPermutation() {
        int[] sorted = plan.permutation(3).clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) assertEquals(i, sorted[i]);
    }

    @Test
    void epochOf_andEndsEpoch_followStepsPerEpoch() {
        assertEquals(5, plan.stepsPerEpoch());
        assertEquals(0, plan.epochOf(4));
        assertEquals(1, plan.epochOf(5));
        assertTrue(plan.endsEpoch(4));
        assertFalse(plan.endsEpoch(5));
        assertEquals(5, plan.microBatchSize());
    }

    @Test
    void constructor_badArguments_rejected() {
        assertThrows(IllegalArgumentException.class, () -> new BatchPlan(1, 100, 10, 3));
        assertThrows(IllegalArgumentException.class, () -> new BatchPlan(1, 100, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new BatchPlan(1, 100, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> new BatchPlan(1, 100, -10, -2));
        assertThrows(IllegalArgumentException.class, () -> new BatchPlan(1, 9, 10, 2));
    }

    @Test
    void indices_badArguments_rejected() {
        assertThrows(IllegalArgumentException.class, () -> plan.indices(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> plan.indices(0, -1));
        assertThrows(IllegalArgumentException.class, () -> plan.indices(0, 4));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void sampler_acrossEpochs_yieldsTheSameIndicesAsThePureFunction() {
        BatchPlan plan = new BatchPlan(9, 100, 20, 4);
        BatchPlan.Sampler sampler = plan.sampler();
        for (long step = 0; step < 3 * plan.stepsPerEpoch(); step++) {
            for (int m = 0; m < plan.microBatches(); m++) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(plan.indices(step, m), sampler.indices(step, m),
                        "step " + step + " micro-batch " + m);
            }
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(plan.indices(0, 1), sampler.indices(0, 1), "back to epoch 0");
    }
}
