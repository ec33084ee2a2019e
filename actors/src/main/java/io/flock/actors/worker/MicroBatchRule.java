package io.flock.actors.worker;

import io.flock.strategies.MicroBatchBlocks;

/**
 * Which micro-batches of a step a rank computes. Under a parameter server the shards sum a
 * step's gradients in micro-batch order whoever computed them, so ranks take them round robin;
 * the collectives pass a running sum from rank to rank, so each rank holds a contiguous block
 * ({@link MicroBatchBlocks}). Which samples a micro-batch holds follows from the batch plan alone.
 */
enum MicroBatchRule {
    /** Rank r of N computes the micro-batches m with m ≡ r (mod N), in increasing order. */
    ROUND_ROBIN {
        @Override
        int[] microBatches(int rank, int workers, int microBatches) {
            int[] mine = new int[Math.max(0, (microBatches - rank + workers - 1) / workers)];
            for (int i = 0, m = rank; i < mine.length; i++, m += workers) mine[i] = m;
            return mine;
        }
    },
    /** Rank r of N computes the block [⌊r·M/N⌋, ⌊(r+1)·M/N⌋) (see {@link MicroBatchBlocks}). */
    BLOCKS {
        @Override
        int[] microBatches(int rank, int workers, int microBatches) {
            MicroBatchBlocks blocks = new MicroBatchBlocks(workers, microBatches);
            int first = blocks.first(rank);
            int[] mine = new int[blocks.end(rank) - first];
            for (int i = 0; i < mine.length; i++) mine[i] = first + i;
            return mine;
        }
    };

    /** The micro-batches (of {@code microBatches} per step) that {@code rank} of {@code workers} computes, ascending. */
    abstract int[] microBatches(int rank, int workers, int microBatches);
}
