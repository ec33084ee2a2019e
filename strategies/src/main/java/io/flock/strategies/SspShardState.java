package io.flock.strategies;

import io.flock.tensor.optim.OptimizerSpec;
import java.util.NavigableSet;
import java.util.TreeSet;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The parameter-server SSP/ASP state of one shard: a parameter slice and its optimizer state, to
 * which each gradient is applied as it arrives, without waiting for the rest of its clock.
 *
 * <p>Update rule: the gradient g of micro-batch m computed at clock c is applied once as
 * {@code optimizer.apply(params, g / M, state, c)}, so a clock's M gradients together weigh as
 * one BSP step of their mean (exactly so for SGD; for Adam each arrival also advances the
 * moments, so use a learning rate about M times smaller than under BSP). Pushes are deduped by
 * (clock, micro-batch), so a replayed push is acknowledged but not applied twice.
 *
 * <p>Complete clocks: {@link #complete()} is the lowest clock not all of whose M micro-batches
 * were applied; every clock below it is whole. It is the slowest worker's clock in terms that do
 * not depend on who computes which micro-batch, which is what a shard gates reads on under SSP
 * (Ho et al., NIPS 2013; Petuum's server-side clock). Dedupe keys below it are dropped on the
 * spot: a push of a clock below {@link #complete()} is a duplicate by definition, so forgetting
 * them can never let a replay be applied twice.
 *
 * <p>Staleness of an applied update = the shard's clock (the highest clock of any update applied
 * before it) minus the update's clock, or 0; {@link SspClock} keeps it <= s. It is recorded per
 * update for export as a metric. Pure and single-threaded.
 */
public final class SspShardState {

    /** The answer to a push: applied now, or a duplicate; the staleness it was applied with. */
    public record Ack(boolean applied, long staleness) {}

    /**
     * A copy of the applied state. {@code firstClock}: the clock this state started at (clocks
     * below it were applied before, e.g. under BSP); {@code complete}: see {@link #complete()};
     * {@code seen} lists the (clock·M + m) keys applied at or above {@code complete};
     * {@code stepsBefore} is the applied-step log of the BSP state it was switched from (empty if none).
     */
    public record Exported(INDArray params, INDArray optimizerState, long firstClock, long complete, long applied,
            long acknowledged, long serverClock, long maxStaleness, long stalenessSum, long[] seen,
            long[] stepsBefore) {}

    private final OptimizerSpec optimizer;
    private final int microBatches;
    private final INDArray params;
    private final INDArray optimizerState;
    private final TreeSet<Long> seen = new TreeSet<>();
    private final long firstClock;
    private long[] stepsBefore = new long[0];
    private long complete;
    private long applied;
    private long acknowledged;
    private long serverClock;
    private long maxStaleness;
    private long stalenessSum;

    /** A state at clock 0. @param params and optimizerState [rows, len] are owned (mutated) from now on */
    public SspShardState(INDArray params, INDArray optimizerState, OptimizerSpec optimizer, int microBatches) {
        this(params, optimizerState, optimizer, microBatches, 0);
    }

    /**
     * A state whose clocks below {@code firstClock} are already applied (a job resumed from a
     * checkpoint, or a shard switched from BSP at that version).
     *
     * @param params and optimizerState [rows, len] are owned (mutated) from now on
     */
    public SspShardState(INDArray params, INDArray optimizerState, OptimizerSpec optimizer, int microBatches,
            long firstClock) {
        if (microBatches <= 0) throw new IllegalArgumentException("microBatches must be positive: " + microBatches);
        if (firstClock < 0) throw new IllegalArgumentException("firstClock must be >= 0: " + firstClock);
        this.params = params;
        this.optimizerState = optimizerState;
        this.optimizer = optimizer;
        this.microBatches = microBatches;
        this.firstClock = firstClock;
        this.complete = firstClock;
        this.serverClock = firstClock - 1;
    }

    /** Rebuilds a shard from an {@link #export()}: it continues exactly where the original was. */
    public static SspShardState restore(Exported e, OptimizerSpec optimizer, int microBatches) {
        SspShardState s = new SspShardState(e.params(), e.optimizerState(), optimizer, microBatches, e.firstClock());
        s.complete = e.complete();
        s.applied = e.applied();
        s.acknowledged = e.acknowledged();
        s.serverClock = e.serverClock();
        s.maxStaleness = e.maxStaleness();
        s.stalenessSum = e.stalenessSum();
        for (long k : e.seen()) s.seen.add(k);
        s.stepsBefore = e.stepsBefore().clone();
        return s;
    }

    /**
     * Switches a BSP shard to SSP at its version: the BSP state must hold no gradients of an
     * unapplied step (a quiesced step boundary). The new state starts at clock = version, with
     * the same parameters and optimizer state (copied from {@code bsp}); its applied-step log is
     * kept for {@link #toBsp()}.
     */
    public static SspShardState fromBsp(BspShardState.Exported bsp, OptimizerSpec optimizer, int microBatches) {
        if (bsp.pending().length > 0) {
            throw new IllegalStateException("BSP state holds gradients of step " + bsp.pending()[0].step()
                    + ": switch only at a step boundary with no step pending");
        }
        SspShardState s = new SspShardState(bsp.params(), bsp.optimizerState(), optimizer, microBatches,
                bsp.version());
        s.stepsBefore = bsp.appliedSteps().clone();
        return s;
    }

    /**
     * This state as a BSP shard at version {@link #complete()}: only when {@link #quiesced()}
     * (every applied gradient belongs to a whole clock). The BSP state carries no one-version
     * history; its applied-step log is the one this state was switched from followed by the clocks
     * applied here, {@code firstClock}..complete-1 (each whole).
     */
    public BspShardState.Exported toBsp() {
        if (!quiesced()) {
            throw new IllegalStateException(seen.size() + " gradient(s) of clocks at or above " + complete
                    + " are applied: switch only when every applied clock is whole");
        }
        long[] log = java.util.stream.LongStream.concat(java.util.Arrays.stream(stepsBefore),
                java.util.stream.LongStream.range(firstClock, complete)).toArray();
        return new BspShardState.Exported(complete, params.dup(), optimizerState.dup(), null, log,
                new BspShardState.PendingStep[0]);
    }

    public Exported export() {
        return new Exported(params.dup(), optimizerState.dup(), firstClock, complete, applied, acknowledged,
                serverClock, maxStaleness, stalenessSum, appliedAbove(), stepsBefore.clone());
    }

    /** Applies the gradient slice of micro-batch {@code m} computed at clock {@code clock}, unless seen. */
    public Ack push(long clock, int m, INDArray gradient) {
        PushChecks.check(m, microBatches, gradient, params);
        acknowledged++;
        if (clock < complete || !seen.add(clock * microBatches + m)) return new Ack(false, 0);
        long staleness = Math.max(0, serverClock - clock);
        optimizer.apply(params, gradient.div(microBatches), optimizerState, clock);
        serverClock = Math.max(serverClock, clock);
        applied++;
        maxStaleness = Math.max(maxStaleness, staleness);
        stalenessSum += staleness;
        advanceComplete();
        return new Ack(true, staleness);
    }

    /** Moves {@link #complete()} past every whole clock and drops their keys. */
    private void advanceComplete() {
        while (true) {
            NavigableSet<Long> clock = seen.subSet(complete * microBatches, true, (complete + 1) * microBatches, false);
            if (clock.size() < microBatches) return;
            clock.clear();
            complete++;
        }
    }

    /**
     * The lowest clock with a micro-batch not applied yet: clocks below it are whole. Equals the
     * slowest worker's clock (its acknowledged clocks) whatever the assignment of micro-batches.
     */
    public long complete() {
        return complete;
    }

    /** The clock this state started at; clocks below it were applied before it existed. */
    public long firstClock() {
        return firstClock;
    }

    /** Keys (clock·M + m) of the gradients applied at or above {@link #complete()}, ascending. */
    public long[] appliedAbove() {
        return seen.stream().mapToLong(Long::longValue).toArray();
    }

    /** Whether (clock, micro-batch) was applied here. */
    public boolean isApplied(long clock, int m) {
        return clock < complete || seen.contains(clock * microBatches + m);
    }

    /** True when every applied gradient belongs to a whole clock: the state is exactly "after clocks < complete". */
    public boolean quiesced() {
        return seen.isEmpty();
    }

    /** Distinct gradients applied. */
    public long applied() {
        return applied;
    }

    /** Pushes answered, duplicates included: applied + duplicates, so no acknowledged gradient is lost. */
    public long acknowledged() {
        return acknowledged;
    }

    /** Highest clock of any applied update; firstClock - 1 before the first. */
    public long serverClock() {
        return serverClock;
    }

    public long maxStaleness() {
        return maxStaleness;
    }

    /** Mean staleness of applied updates (0 before the first). */
    public double meanStaleness() {
        return applied == 0 ? 0 : (double) stalenessSum / applied;
    }

    public int microBatches() {
        return microBatches;
    }

    public INDArray params() {
        return params;
    }

    public INDArray optimizerState() {
        return optimizerState;
    }
}
