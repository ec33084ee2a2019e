package io.flock.actors.coordinator;

import io.flock.actors.shard.ParameterShard;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Assembles the job's full parameter vector (and, from snapshots, optimizer state and applied-step
 * logs) from the slices the shards send. Pure bookkeeping for the coordinator's short-lived
 * children; no messaging.
 */
public final class ShardGather {

    private final long[] bounds;
    private final long version;
    private final INDArray params;
    private final boolean[] got;
    private final long[][] appliedLogs;
    private INDArray state;
    private int missing;

    public ShardGather(long[] bounds, long version) {
        this.bounds = bounds;
        this.version = version;
        this.params = Nd4j.zeros(DataType.FLOAT, bounds[bounds.length - 1]);
        this.got = new boolean[bounds.length - 1];
        this.appliedLogs = new long[bounds.length - 1][];
        this.missing = got.length;
    }

    public int shards() {
        return got.length;
    }

    /** Takes a shard's pulled slice; returns false if it is not for our version or already taken. */
    public boolean accept(ParameterShard.Pulled p) {
        if (p.version() != version || got[p.shardIndex()]) return false;
        slice(params, p.shardIndex()).assign(p.params());
        return mark(p.shardIndex());
    }

    /** Takes a shard's snapshot; returns false if it is not at our version or already taken. */
    public boolean accept(ParameterShard.Snapshot s) {
        if (s.version() != version || got[s.shardIndex()]) return false;
        slice(params, s.shardIndex()).assign(s.params());
        if (state == null) state = Nd4j.zeros(DataType.FLOAT, s.optimizerState().rows(), params.length());
        state.get(NDArrayIndex.all(), NDArrayIndex.interval(bounds[s.shardIndex()], bounds[s.shardIndex() + 1]))
                .assign(s.optimizerState());
        appliedLogs[s.shardIndex()] = s.appliedSteps();
        return mark(s.shardIndex());
    }

    /** Shard 0's applied-step log (all agree once {@link #verifyAppliedSteps} says so); only after snapshots. */
    public long[] appliedSteps() {
        return appliedLogs[0];
    }

    private boolean mark(int shard) {
        got[shard] = true;
        missing--;
        return true;
    }

    private INDArray slice(INDArray vector, int shard) {
        return vector.get(NDArrayIndex.interval(bounds[shard], bounds[shard + 1]));
    }

    public boolean complete() {
        return missing == 0;
    }

    public int missing() {
        return missing;
    }

    public long version() {
        return version;
    }

    public INDArray params() {
        return params;
    }

    /** Optimizer state [rows, n]; only after snapshots. */
    public INDArray optimizerState() {
        return state;
    }

    /**
     * Checks that every shard applied exactly the steps {@code first}..version-1, each once and in
     * order ({@code first} < 0: whatever shard 0 started at, the same for all); returns null when
     * so, else what is wrong. Only after snapshots.
     */
    public String verifyAppliedSteps(long first) {
        if (first < 0) first = appliedLogs[0].length > 0 ? appliedLogs[0][0] : version; // adopted: shards must agree
        for (int s = 0; s < appliedLogs.length; s++) {
            long[] log = appliedLogs[s];
            boolean ok = log.length == version - first;
            for (int i = 0; ok && i < log.length; i++) ok = log[i] == first + i;
            if (!ok) {
                return "shard " + s + " applied steps " + java.util.Arrays.toString(log) + ", expected exactly "
                        + first + ".." + (version - 1);
            }
        }
        return null;
    }
}
