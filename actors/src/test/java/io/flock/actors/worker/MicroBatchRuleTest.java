package io.flock.actors.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MicroBatchRuleTest {

    @Test
    void roundRobin_threeOfEight_strided() {
        assertArrayEquals(new int[] {0, 3, 6}, MicroBatchRule.ROUND_ROBIN.microBatches(0, 3, 8));
        assertArrayEquals(new int[] {1, 4, 7}, MicroBatchRule.ROUND_ROBIN.microBatches(1, 3, 8));
        assertArrayEquals(new int[] {2, 5}, MicroBatchRule.ROUND_ROBIN.microBatches(2, 3, 8));
    }

    @Test
    void roundRobin_moreWorkersThanMicroBatches_someRanksIdle() {
        assertArrayEquals(new int[] {1}, MicroBatchRule.ROUND_ROBIN.microBatches(1, 4, 2));
        assertArrayEquals(new int[0], MicroBatchRule.ROUND_ROBIN.microBatches(3, 4, 2));
    }

    @Test
    void blocks_threeOfEight_contiguous() {
        assertArrayEquals(new int[] {0, 1}, MicroBatchRule.BLOCKS.microBatches(0, 3, 8));
        assertArrayEquals(new int[] {2, 3, 4}, MicroBatchRule.BLOCKS.microBatches(1, 3, 8));
        assertArrayEquals(new int[] {5, 6, 7}, MicroBatchRule.BLOCKS.microBatches(2, 3, 8));
    }

    @Test
    void microBatches_everyRule_partitionsTheStep() {
        for (MicroBatchRule rule : MicroBatchRule.values()) {
            for (int workers = 1; workers <= 7; workers++) {
                for (int m = 1; m <= 12; m++) {
                    int n = workers;
                    int microBatches = m;
                    int[] all = IntStream.range(0, n)
                            .flatMap(r -> Arrays.stream(rule.microBatches(r, n, microBatches))).sorted().toArray();
                    assertArrayEquals(IntStream.range(0, m).toArray(), all, rule + " " + workers + " workers, " + m);
                }
            }
        }
    }

    @Test
    void blocks_lastRank_holdsTheLastMicroBatch() {
        int[] last = MicroBatchRule.BLOCKS.microBatches(4, 5, 3);
        assertEquals(2, last[last.length - 1]);
    }
}
