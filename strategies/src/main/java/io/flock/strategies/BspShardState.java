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
 * Flock's BSP guarantee. The sum is kept as a running prefix: gradient k is added as soon as
 * gradients 0..k are all present, so summation overlaps with the workers' computation and
 * each gradient is released early, with exactly the floating-point result of summing at the
 * end. Pushes are keyed by (step, micro-batch) so a replayed push is a no-op. Pure and
 * single-threaded; the owning actor serialises access.
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
    private final Map<Long, StepSum> pending = new HashMap<>();
    private final List<Long> appliedSteps = new ArrayList<>();
    private INDArray previous;
    private long version;
    private java.util.function.LongConsumer onVersion = v -> { };

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

    /** Gradients of one step not yet applied: a running sum of the prefix 0..summed-1 plus the rest. */
    private static final class StepSum {
        final INDArray[] waiting;
        final boolean[] received;
        INDArray sum;
        int summed;

        StepSum(int microBatches) {
            waiting = new INDArray[microBatches];
            received = new boolean[microBatches];
        }

        static StepSum of(PendingStep p) {
            StepSum s = new StepSum(p.received().length);
            System.arraycopy(p.received(), 0, s.received, 0, s.received.length);
            System.arraycopy(p.waiting(), 0, s.waiting, 0, s.waiting.length);
            s.sum = p.sum();
            s.summed = p.summed();
            return s;
        }

        PendingStep export(long step) {
            INDArray[] copies = new INDArray[waiting.length];
            for (int i = 0; i < copies.length; i++) copies[i] = waiting[i] == null ? null : waiting[i].dup();
            return new PendingStep(step, sum == null ? null : sum.dup(), summed, copies, received.clone());
        }

        /** Adds every waiting gradient that extends the contiguous prefix. */
        void advance() {
            while (summed < waiting.length && waiting[summed] != null) {
                if (summed == 0) sum = waiting[0].dup();
                else sum.addi(waiting[summed]);
                waiting[summed++] = null;
            }
        }

        boolean complete() {
            return summed == waiting.length;
        }
    }

    /**
     * Rebuilds a shard from a replica's {@link #export() export}: same parameters, optimizer state,
     * version, one-version history and applied-step log, so it continues exactly where the
     * replica is. Gradients the replica held for unapplied steps are not carried: the workers
     * replay them.
     */
    public static BspShardState restore(Exported e, OptimizerSpec optimizer, int microBatches) {
        BspShardState s = new BspShardState(e.params(), e.optimizerState(), optimizer, microBatches, e.version());
        s.previous = e.previous();
        for (long step : e.appliedSteps()) s.appliedSteps.add(step);
        for (PendingStep p : e.pending()) s.pending.put(p.step(), StepSum.of(p));
        return s;
    }

    /**
     * The gradients held for a step not yet applied: the running prefix sum of micro-batches
     * 0..summed-1 (null when summed is 0), the later ones waiting (null where absent) and
     * which micro-batches were received.
     */
    public record PendingStep(long step, INDArray sum, int summed, INDArray[] waiting, boolean[] received) {}

    /**
     * A copy of the whole state, gradients of unapplied steps included, so a replica built from
     * it completes those steps exactly as this one would; {@code previous} may be null.
     */
    public record Exported(long version, INDArray params, INDArray optimizerState, INDArray previous,
            long[] appliedSteps, PendingStep[] pending) {}

    /** Copies the whole state (see {@link #restore}). */
    public Exported export() {
        PendingStep[] held = pending.entrySet().stream().map(e -> e.getValue().export(e.getKey()))
                .toArray(PendingStep[]::new);
        return new Exported(version, params.dup(), optimizerState.dup(), previous == null ? null : previous.dup(),
                appliedSteps.stream().mapToLong(Long::longValue).toArray(), held);
    }

    /** Accepts the gradient slice of micro-batch {@code m} of step {@code step}. */
    public Outcome push(long step, int m, INDArray gradient) {
        PushChecks.check(m, microBatches, gradient, params);
        if (step < version) return Outcome.DUPLICATE;
        StepSum slots = pending.computeIfAbsent(step, s -> new StepSum(microBatches));
        if (slots.received[m]) return Outcome.DUPLICATE;
        slots.received[m] = true;
        slots.waiting[m] = gradient;
        slots.advance();
        boolean applied = false;
        while (pending.containsKey(version) && pending.get(version).complete()) {
            apply(pending.remove(version).sum);
            applied = true;
        }
        return applied ? Outcome.APPLIED : Outcome.STORED;
    }

    private void apply(INDArray sum) {
        INDArray mean = sum.divi(microBatches);
        if (previous == null) previous = params.dup();
        else previous.assign(params);
        optimizer.apply(params, mean, optimizerState, version);
        appliedSteps.add(version);
        version++;
        onVersion.accept(version);
    }

    /** Called after every applied step with the new version (e.g. to take a snapshot exactly there). */
    public void onVersion(java.util.function.LongConsumer listener) {
        this.onVersion = listener;
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

    /** True when no gradient of an unapplied step is held: a step boundary where the state may change hands or strategy. */
    public boolean quiesced() {
        return pending.isEmpty();
    }

    /** Micro-batches still missing for the next step to apply. */
    public int missingForNextStep() {
        StepSum slots = pending.get(version);
        if (slots == null) return microBatches;
        int missing = 0;
        for (boolean r : slots.received) if (!r) missing++;
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
