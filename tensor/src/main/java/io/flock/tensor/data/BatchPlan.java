package io.flock.tensor.data;

import java.util.SplittableRandom;

/**
 * Which samples form micro-batch {@code m} of global step {@code s}: a pure function of
 * (seed, epoch, step, m), never of the number of workers. This is what makes a BSP trajectory
 * independent of membership: whoever computes micro-batch m of step s sees the same samples.
 *
 * <p>Each epoch is a seeded Fisher-Yates permutation of the dataset (SplittableRandom seeded by
 * mixing seed and epoch); step t of the epoch takes the permutation's window
 * [t·B, (t+1)·B) and micro-batch m the sub-window [t·B + m·b, t·B + (m+1)·b) with b = B / M.
 * The tail of an epoch that does not fill a whole global batch is dropped.
 *
 * @param seed         job seed
 * @param datasetSize  number of training samples
 * @param globalBatch  B, samples per step
 * @param microBatches M, the fixed number of micro-batches per step (B must be divisible by M)
 */
public record BatchPlan(long seed, int datasetSize, int globalBatch, int microBatches) {

    public BatchPlan {
        if (globalBatch <= 0 || microBatches <= 0 || globalBatch % microBatches != 0) {
            throw new IllegalArgumentException("global batch " + globalBatch + " must be a positive multiple of "
                    + "the micro-batch count " + microBatches);
        }
        if (datasetSize < globalBatch) {
            throw new IllegalArgumentException("dataset of " + datasetSize + " samples is smaller than one global batch of "
                    + globalBatch);
        }
    }

    /** Samples per micro-batch (B / M). */
    public int microBatchSize() {
        return globalBatch / microBatches;
    }

    /** Whole global batches per epoch. */
    public long stepsPerEpoch() {
        return datasetSize / globalBatch;
    }

    /** Epoch (0-based) that global step {@code step} belongs to. */
    public long epochOf(long step) {
        return step / stepsPerEpoch();
    }

    /** True when {@code step} is the last step of its epoch. */
    public boolean endsEpoch(long step) {
        return (step + 1) % stepsPerEpoch() == 0;
    }

    /**
     * Sample indices of micro-batch {@code m} of global step {@code step}. Recomputes the epoch's
     * permutation on every call; hot loops use a {@link #sampler()}, which yields the same indices.
     */
    public int[] indices(long step, int m) {
        checkMicroBatch(step, m);
        return window(permutation(epochOf(step)), step, m);
    }

    /** A cursor over this plan that keeps the permutation of the epoch in use. */
    public Sampler sampler() {
        return new Sampler(this);
    }

    /**
     * {@link #indices(long, int)} with the current epoch's permutation cached: computing it is
     * a shuffle of the whole dataset, which per micro-batch would cost more than the copying
     * around it. Not thread-safe: one per worker.
     */
    public static final class Sampler {
        private final BatchPlan plan;
        private long epoch = -1;
        private int[] permutation;

        private Sampler(BatchPlan plan) {
            this.plan = plan;
        }

        /** Same as {@link BatchPlan#indices(long, int)}. */
        public int[] indices(long step, int m) {
            plan.checkMicroBatch(step, m);
            long e = plan.epochOf(step);
            if (e != epoch) {
                permutation = plan.permutation(e);
                epoch = e;
            }
            return plan.window(permutation, step, m);
        }
    }

    private void checkMicroBatch(long step, int m) {
        if (step < 0 || m < 0 || m >= microBatches) {
            throw new IllegalArgumentException("no micro-batch " + m + " of step " + step + " (M=" + microBatches + ")");
        }
    }

    /** Micro-batch {@code m} of {@code step}: its window of the epoch's permutation. */
    private int[] window(int[] perm, long step, int m) {
        int b = microBatchSize();
        int from = (int) (step % stepsPerEpoch()) * globalBatch + m * b;
        int[] out = new int[b];
        System.arraycopy(perm, from, out, 0, b);
        return out;
    }

    /** The sample order of an epoch; recomputed per call, so callers cache per epoch if hot. */
    public int[] permutation(long epoch) {
        int[] perm = new int[datasetSize];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        SplittableRandom rnd = new SplittableRandom(mix(seed, epoch));
        for (int i = perm.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }

    private static long mix(long seed, long epoch) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
