package io.flock.actors.shard;

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
    private final ParameterShard.SspProgress[] progress;
    private INDArray state;
    private int missing;

    public ShardGather(long[] bounds, long version) {
        this.bounds = bounds;
        this.version = version;
        this.params = Nd4j.zeros(DataType.FLOAT, bounds[bounds.length - 1]);
        this.got = new boolean[bounds.length - 1];
        this.appliedLogs = new long[bounds.length - 1][];
        this.progress = new ParameterShard.SspProgress[bounds.length - 1];
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

    /** Takes a shard's ps-ssp / ps-asp progress with parameters; false if not at our version or already taken. */
    public boolean accept(ParameterShard.SspProgress p) {
        if (p.atClock() != version || got[p.shardIndex()] || p.params() == null) return false;
        slice(params, p.shardIndex()).assign(p.params());
        progress[p.shardIndex()] = p;
        return mark(p.shardIndex());
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
     * Under ps-ssp / ps-asp: checks that every shard applied exactly the gradients of clocks
     * {@code first}..version-1, each (clock, micro-batch) once — all clocks whole, nothing above,
     * applied = (version - first)·M distinct gradients, so the acknowledged ones are all in — and
     * observed no staleness above {@code bound}; null when so, else what is wrong. {@code first}
     * < 0: whatever the shards started at, the same for all. Only after progress reports.
     */
    public String verifySsp(long first, int microBatches, int bound) {
        if (first < 0) first = progress[0].firstClock();
        for (ParameterShard.SspProgress p : progress) {
            long expected = (version - first) * microBatches;
            if (p.firstClock() != first || p.complete() != version || p.appliedAbove().length > 0
                    || p.applied() != expected) {
                return "shard " + p.shardIndex() + " started at clock " + p.firstClock() + ", has clocks below "
                        + p.complete() + " whole, " + p.appliedAbove().length + " gradient(s) above, " + p.applied()
                        + " applied (" + p.acknowledged() + " pushes acknowledged); expected clocks " + first + ".."
                        + (version - 1) + ": " + expected + " distinct gradients";
            }
            if (bound != io.flock.strategies.SspClock.ASP && p.maxStaleness() > bound) {
                return "shard " + p.shardIndex() + " observed staleness " + p.maxStaleness() + " above the bound " + bound;
            }
        }
        return null;
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
