package io.flock.strategies;

import io.flock.tensor.optim.OptimizerSpec;
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
 * <p>Staleness of an applied update = the shard's clock (the highest clock of any update applied
 * before it) minus the update's clock, or 0; {@link SspClock} keeps it <= s (Ho et al., NIPS
 * 2013). It is recorded per update for export as a metric. Pure and single-threaded.
 */
public final class SspShardState {

    /** The answer to a push: applied now, or a duplicate; the staleness it was applied with. */
    public record Ack(boolean applied, long staleness) {}

    /** A copy of the applied state; {@code seen} lists the (clock·M + m) keys applied. */
    public record Exported(INDArray params, INDArray optimizerState, long applied, long acknowledged,
            long serverClock, long maxStaleness, long stalenessSum, long[] seen) {}

    private final OptimizerSpec optimizer;
    private final int microBatches;
    private final INDArray params;
    private final INDArray optimizerState;
    private final TreeSet<Long> seen = new TreeSet<>();
    private long applied;
    private long acknowledged;
    private long serverClock = -1;
    private long maxStaleness;
    private long stalenessSum;

    /** @param params and optimizerState [rows, len] are owned (mutated) from now on */
    public SspShardState(INDArray params, INDArray optimizerState, OptimizerSpec optimizer, int microBatches) {
        if (microBatches <= 0) throw new IllegalArgumentException("microBatches must be positive: " + microBatches);
        this.params = params;
        this.optimizerState = optimizerState;
        this.optimizer = optimizer;
        this.microBatches = microBatches;
    }

    /** Rebuilds a shard from an {@link #export()}: it continues exactly where the original was. */
    public static SspShardState restore(Exported e, OptimizerSpec optimizer, int microBatches) {
        SspShardState s = new SspShardState(e.params(), e.optimizerState(), optimizer, microBatches);
        s.applied = e.applied();
        s.acknowledged = e.acknowledged();
        s.serverClock = e.serverClock();
        s.maxStaleness = e.maxStaleness();
        s.stalenessSum = e.stalenessSum();
        for (long k : e.seen()) s.seen.add(k);
        return s;
    }

    public Exported export() {
        return new Exported(params.dup(), optimizerState.dup(), applied, acknowledged, serverClock, maxStaleness,
                stalenessSum, seen.stream().mapToLong(Long::longValue).toArray());
    }

    /** Applies the gradient slice of micro-batch {@code m} computed at clock {@code clock}, unless seen. */
    public Ack push(long clock, int m, INDArray gradient) {
        PushChecks.check(m, microBatches, gradient, params);
        acknowledged++;
        if (!seen.add(clock * microBatches + m)) return new Ack(false, 0);
        long staleness = Math.max(0, serverClock - clock);
        optimizer.apply(params, gradient.div(microBatches), optimizerState, clock);
        serverClock = Math.max(serverClock, clock);
        applied++;
        maxStaleness = Math.max(maxStaleness, staleness);
        stalenessSum += staleness;
        return new Ack(true, staleness);
    }

    /** Forgets dedupe keys of clocks below {@code clock} (every worker is past them). */
    public void forgetBelow(long clock) {
        seen.headSet(clock * microBatches).clear();
    }

    /** Distinct gradients applied. */
    public long applied() {
        return applied;
    }

    /** Pushes answered, duplicates included: applied + duplicates, so no acknowledged gradient is lost. */
    public long acknowledged() {
        return acknowledged;
    }

    /** Highest clock of any applied update; -1 before the first. */
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

    public INDArray params() {
        return params;
    }

    public INDArray optimizerState() {
        return optimizerState;
    }
}
