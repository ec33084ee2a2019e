package io.flock.strategies;

import java.util.Arrays;

/**
 * Predicted wall-clock seconds per training step of each strategy, from measurements. The
 * communication terms follow the schedules Flock actually runs; α is the fitted per-message
 * cost, paid serially where messages converge, β the fitted bandwidth, P the parameter bytes,
 * N workers, S shards, M micro-batches:
 * <pre>
 *   ring (RingAllReduce)  2·P/β + 2(N-1)·α          order-preserving ring: up to 2P per member
 *                                                   (Patarasuk-Yuan's would be 2(N-1)/N·P)
 *   tree (TreeReduce)     (M(N-1)/N + d)·P/β + 2d·α  d = ⌊log2 N⌋; the root receives M(N-1)/N gradients
 *   ps-*                  2N·P/(S·β) + 2·max(N, S)·α  each shard takes N pushes and N pulls (Li et al.,
 *                                                   OSDI 2014, is the server design it follows)
 * </pre>
 * Compute: BSP strategies wait for the slowest worker each step (max of per-worker step times).
 * SSP is predicted at the harmonic mean of the per-worker step times (the work-conserving rate,
 * which assumes the wiring hands micro-batches to whichever worker is free), times
 * (1 + stalenessPenalty) for the statistical cost of stale gradients (Ho et al., NIPS 2013).
 * ASP is never predicted: without a bound its accuracy cost is not modelled, so auto never picks it.
 */
public record CostModel(double stalenessPenalty) {

    /** Inputs: per-worker compute seconds per step, the fitted link, sizes and counts. */
    public record Measurements(long step, double[] computeSeconds, LinkFit link, long paramBytes, int shards,
            int microBatches) {
        public int workers() {
            return computeSeconds.length;
        }
    }

    /** Predicted seconds per step, or +infinity for strategies not modelled (ASP, and auto, which is no strategy). */
    public double stepSeconds(Strategy strategy, Measurements m) {
        double slowest = Arrays.stream(m.computeSeconds()).max().orElseThrow();
        return switch (strategy) {
            case RING -> slowest + ring(m);
            case TREE -> slowest + tree(m);
            case PS_BSP -> slowest + ps(m);
            case PS_SSP -> harmonicMean(m.computeSeconds()) * (1 + stalenessPenalty) + ps(m);
            case PS_ASP, AUTO -> Double.POSITIVE_INFINITY;
        };
    }

    /** The strategy predicted fastest (ps-bsp on a tie, as it is the first in declaration order). */
    public Strategy best(Measurements m) {
        Strategy best = Strategy.values()[0];
        for (Strategy s : Strategy.values()) {
            if (s.concrete() && stepSeconds(s, m) < stepSeconds(best, m)) best = s;
        }
        return best;
    }

    private static double ring(Measurements m) {
        int n = m.workers();
        return n == 1 ? 0 : 2.0 * m.paramBytes() / m.link().bytesPerSecond() + 2.0 * (n - 1) * m.link().latencySeconds();
    }

    private static double tree(Measurements m) {
        int n = m.workers();
        if (n == 1) return 0;
        int depth = 31 - Integer.numberOfLeadingZeros(n);
        double gradients = (double) m.microBatches() * (n - 1) / n + depth;
        return gradients * m.paramBytes() / m.link().bytesPerSecond() + 2.0 * depth * m.link().latencySeconds();
    }

    private static double ps(Measurements m) {
        int n = m.workers();
        return 2.0 * n * m.paramBytes() / (m.shards() * m.link().bytesPerSecond())
                + 2.0 * Math.max(n, m.shards()) * m.link().latencySeconds();
    }

    private static double harmonicMean(double[] xs) {
        double inv = 0;
        for (double x : xs) inv += 1 / x;
        return xs.length / inv;
    }
}
