package io.flock.strategies;

/**
 * Contiguous micro-batch blocks in rank order: rank r of N holds micro-batches
 * [⌊r·M/N⌋, ⌊(r+1)·M/N⌋). The collectives ({@link RingAllReduce}, {@link TreeReduce}) need this
 * assignment under peer-to-peer synchronization: it is what lets a running sum travel through
 * the members in micro-batch order. The last rank always holds micro-batch M-1; with M < N some
 * ranks hold none.
 */
public record MicroBatchBlocks(int members, int microBatches) {

    public MicroBatchBlocks {
        if (members <= 0 || microBatches <= 0) {
            throw new IllegalArgumentException("members and micro-batches must be positive: " + members + ", "
                    + microBatches);
        }
    }

    /** First micro-batch of {@code rank}. */
    public int first(int rank) {
        return (int) ((long) rank * microBatches / members);
    }

    /** One past the last micro-batch of {@code rank}. */
    public int end(int rank) {
        return first(rank + 1);
    }

    /** The rank holding micro-batch {@code m}. */
    public int holder(int m) {
        for (int r = 0; r < members; r++) {
            if (m < end(r)) return r;
        }
        throw new IllegalArgumentException("no micro-batch " + m + " of " + microBatches);
    }
}
