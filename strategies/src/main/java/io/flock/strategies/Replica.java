package io.flock.strategies;

import io.flock.tensor.optim.OptimizerSpec;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A full copy of the parameters and optimizer state, as every member holds under peer-to-peer
 * synchronization (ring, tree), and the conversions a strategy switch needs at a step boundary:
 * PS → peer-to-peer assembles a replica from the shards' exports; peer-to-peer → PS cuts a
 * replica into shard exports. Nothing is reset: version, one-version history and optimizer
 * state move with the parameters, and because optimizers are element-wise the next step is the
 * same whether applied to slices or to the whole vector.
 */
public final class Replica {

    private final OptimizerSpec optimizer;
    private final INDArray params;
    private final INDArray optimizerState;
    private final List<Long> appliedSteps;
    private INDArray previous;
    private long version;

    /**
     * @param params        and optimizerState [rows, n] are owned (mutated) from now on
     * @param appliedSteps  the steps applied so far, in order (the shards' log this replica continues)
     */
    public Replica(INDArray params, INDArray optimizerState, INDArray previous, OptimizerSpec optimizer, long version,
            long[] appliedSteps) {
        this.params = params;
        this.optimizerState = optimizerState;
        this.previous = previous;
        this.optimizer = optimizer;
        this.version = version;
        this.appliedSteps = new ArrayList<>(appliedSteps.length + 64);
        for (long s : appliedSteps) this.appliedSteps.add(s);
    }

    /** PS → peer-to-peer: the replica the shards' exports (in shard order, same version) make up. */
    public static Replica fromShards(List<BspShardState.Exported> shards, OptimizerSpec optimizer) {
        long version = shards.get(0).version();
        for (BspShardState.Exported s : shards) {
            if (s.version() != version) {
                throw new IllegalArgumentException("shards at versions " + version + " and " + s.version()
                        + ": switch only at a step boundary all shards reached");
            }
        }
        INDArray previous = shards.get(0).previous() == null ? null
                : Nd4j.concat(0, shards.stream().map(BspShardState.Exported::previous).toArray(INDArray[]::new));
        return new Replica(concat(0, shards.stream().map(BspShardState.Exported::params).toList()),
                concat(1, shards.stream().map(BspShardState.Exported::optimizerState).toList()), previous, optimizer,
                version, shards.get(0).appliedSteps());
    }

    private static INDArray concat(int dim, List<INDArray> parts) {
        return parts.size() == 1 ? parts.get(0).dup() : Nd4j.concat(dim, parts.toArray(INDArray[]::new));
    }

    /**
     * Peer-to-peer → PS: exports for shards owning [bounds[s], bounds[s+1]), ready for
     * {@link BspShardState#restore}. Each carries this replica's whole applied-step log: the
     * shards' log before the switch followed by the steps applied peer-to-peer.
     */
    public List<BspShardState.Exported> toShards(long[] bounds) {
        long[] steps = appliedSteps();
        List<BspShardState.Exported> out = new ArrayList<>();
        for (int s = 0; s + 1 < bounds.length; s++) {
            var cols = NDArrayIndex.interval(bounds[s], bounds[s + 1]);
            out.add(new BspShardState.Exported(version, params.get(cols).dup(),
                    optimizerState.get(NDArrayIndex.all(), cols).dup(),
                    previous == null ? null : previous.get(cols).dup(), steps,
                    new BspShardState.PendingStep[0])); // switches happen at step boundaries: nothing in flight
        }
        return out;
    }

    /**
     * Applies step {@code step}'s mean gradient (from {@link RingAllReduce} or {@link TreeReduce})
     * and records it in the applied-step log. Refuses any step but the next one: a step applied
     * twice or skipped would silently leave the trajectory.
     */
    public void apply(long step, INDArray mean) {
        if (step != version) {
            throw new IllegalStateException("replica at version " + version + " cannot apply step " + step);
        }
        if (previous == null) previous = params.dup();
        else previous.assign(params);
        optimizer.apply(params, mean, optimizerState, version);
        appliedSteps.add(step);
        version++;
    }

    /** The steps applied, in order (continuing the log of the shards it came from). */
    public long[] appliedSteps() {
        return appliedSteps.stream().mapToLong(Long::longValue).toArray();
    }

    /** The parameters before the last applied step (null before the first). */
    public INDArray previous() {
        return previous;
    }

    public OptimizerSpec optimizer() {
        return optimizer;
    }

    /** Steps applied; the parameters are those after step {@code version - 1}. */
    public long version() {
        return version;
    }

    /** Live parameters; copy before handing on. */
    public INDArray params() {
        return params;
    }

    public INDArray optimizerState() {
        return optimizerState;
    }

    /** A deep copy, e.g. one per ring member. */
    public Replica copy() {
        return new Replica(params.dup(), optimizerState.dup(), previous == null ? null : previous.dup(), optimizer,
                version, appliedSteps());
    }
}
