package io.flock.strategies;

import io.flock.tensor.optim.OptimizerSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The parameter-server BSP state of one shard: a contiguous slice of the parameters, the same
 * columns of the optimizer state, and the gradients received for steps not yet applied.
 *
 * <p>Step {@code t} is applied exactly once, when all M micro-batch gradients of step t are in:
 * they are summed in micro-batch order 0..M-1, divided by M, and handed to the optimizer. The
 * fixed order makes the sum independent of which worker sent what, and when — the basis of
 * Flock's BSP guarantee. Pushes are keyed by (step, micro-batch) so a replayed push is a no-op.
 * Pure and single-threaded; the owning actor serialises access.
 */
public final class BspShardState {

    /** What a push did. */
    public enum Outcome {
        /** Stored; the step still waits for other micro-batches. */
        STORED,
        /** Stored and completed at least one step, which was applied. */
        APPLIED,
        /** The (step, micro-batch) was already stored or applied; nothing changed. */
        DUPLICATE
    }

    private final OptimizerSpec optimizer;
    private final int microBatches;
    private final INDArray params;
    private final INDArray optimizerState;
    private final Map<Long, INDArray[]> pending = new HashMap<>();
    private final List<Long> appliedSteps = new ArrayList<>();
    private INDArray previous;
    private long version;

    /**
     * @param params         this shard's parameter slice [len]; owned (mutated) from now on
     * @param optimizerState this shard's optimizer state [rows, len]; owned from now on
     * @param version        number of steps already applied to {@code params}
     */
    public BspShardState(INDArray params, INDArray optimizerState, OptimizerSpec optimizer, int microBatches,
            long version) {
        if (microBatches <= 0) throw new IllegalArgumentException("microBatches must be positive: " + microBatches);
        if (optimizer.stateRows() > 0 && optimizerState.columns() != params.length()) {
            throw new IllegalArgumentException("optimizer state has " + optimizerState.columns()
                    + " columns but the slice has " + params.length() + " parameters");
        }
        this.params = params;
        this.optimizerState = optimizerState;
        this.optimizer = optimizer;
        this.microBatches = microBatches;
        this.version = version;
    }

    /** Accepts the gradient slice of micro-batch {@code m} of step {@code step}. */
    public Outcome push(long step, int m, INDArray gradient) {
        if (m < 0 || m >= microBatches) {
            throw new IllegalArgumentException("micro-batch " + m + " out of range [0, " + microBatches + ")");
        }
        if (gradient.length() != params.length()) {
            throw new IllegalArgumentException("gradient slice has " + gradient.length() + " values, shard holds "
                    + params.length());
        }
        if (step < version) return Outcome.DUPLICATE;
        INDArray[] slots = pending.computeIfAbsent(step, s -> new INDArray[microBatches]);
        if (slots[m] != null) return Outcome.DUPLICATE;
        slots[m] = gradient;
        boolean applied = false;
        while (complete(pending.get(version))) {
            apply(pending.remove(version));
            applied = true;
        }
        return applied ? Outcome.APPLIED : Outcome.STORED;
    }

    private boolean complete(INDArray[] slots) {
        if (slots == null) return false;
        for (INDArray g : slots) {
            if (g == null) return false;
        }
        return true;
    }

    private void apply(INDArray[] slots) {
        INDArray mean = slots[0].dup();
        for (int m = 1; m < slots.length; m++) mean.addi(slots[m]);
        mean.divi(microBatches);
        if (previous == null) previous = params.dup();
        else previous.assign(params);
        optimizer.apply(params, mean, optimizerState, version);
        appliedSteps.add(version);
        version++;
    }

    /** Number of steps applied; the parameters are those after step {@code version - 1}. */
    public long version() {
        return version;
    }

    /**
     * The parameters at {@code v} if this shard can still serve them: the current version, or
     * the one before it (kept so a worker replaying the in-flight step after a membership change
     * computes on exactly the parameters the others used). Null otherwise. Live arrays: copy.
     */
    public INDArray paramsAt(long v) {
        if (v == version) return params;
        if (v == version - 1 && previous != null) return previous;
        return null;
    }

    /** Micro-batches still missing for the next step to apply. */
    public int missingForNextStep() {
        INDArray[] slots = pending.get(version);
        if (slots == null) return microBatches;
        int missing = 0;
        for (INDArray g : slots) if (g == null) missing++;
        return missing;
    }

    /** The live parameter slice; callers must copy before handing it to another thread. */
    public INDArray params() {
        return params;
    }

    /** The live optimizer state [rows, len]; callers must copy before handing it on. */
    public INDArray optimizerState() {
        return optimizerState;
    }

    /** Steps applied by this shard instance, in order: proves no step was skipped or applied twice. */
    public List<Long> appliedSteps() {
        return Collections.unmodifiableList(appliedSteps);
    }
}
