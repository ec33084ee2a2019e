package io.flock.strategies;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Worker clocks under stale synchronous parallel (SSP) training: decides when a worker may
 * start its next clock and which waiting workers a finished clock releases. Pure and
 * single-threaded; the coordinator (or whoever gates pulls) owns one per job.
 *
 * <pre>
 * Follows Ho et al., "More effective distributed ML via a stale synchronous parallel parameter
 * server", NIPS 2013: worker w at clock c may start iff the slowest worker's clock >= c - s.
 * A worker's clock counts the clocks whose updates the shards have ACKNOWLEDGED (applied), not
 * merely pushed; with that rule an update computed at clock c is applied before any update of
 * a clock above c + s (every such clock needs the slowest, at most c until this update is
 * applied, to be >= c + 1), so the staleness a shard observes ({@link SspShardState}) never
 * exceeds s. s = 0 is BSP; {@link #ASP} (s = infinity) never waits.
 * </pre>
 */
public final class SspClock {

    /** Staleness bound meaning "no bound": asynchronous parallel. */
    public static final int ASP = Integer.MAX_VALUE;

    private final long[] clocks;
    private final int staleness;
    private final TreeSet<Integer> waiting = new TreeSet<>();

    /** @param staleness s >= 0, or {@link #ASP} */
    public SspClock(int workers, int staleness) {
        if (workers <= 0 || staleness < 0) {
            throw new IllegalArgumentException("need workers > 0 and staleness >= 0: " + workers + ", " + staleness);
        }
        this.clocks = new long[workers];
        this.staleness = staleness;
    }

    /** True iff a worker may start clock {@code clock}: the slowest clock is >= clock - s. */
    public boolean mayStart(long clock) {
        return staleness == ASP || slowest() >= clock - staleness;
    }

    /**
     * Worker {@code w} asks to start its next clock ({@link #clock(int)}). True: go. False: it is
     * recorded as waiting and will be returned by the {@link #finished} call that releases it.
     */
    public boolean tryStart(int w) {
        if (mayStart(clocks[w])) return true;
        waiting.add(w);
        return false;
    }

    /**
     * The shards acknowledged worker {@code w}'s update of its current clock: its clock advances.
     * Returns the waiting workers that may start now (in worker order), no longer waiting.
     */
    public List<Integer> finished(int w) {
        clocks[w]++;
        List<Integer> released = new ArrayList<>();
        for (int v : waiting) if (mayStart(clocks[v])) released.add(v);
        waiting.removeAll(released);
        return released;
    }

    /** The next clock worker {@code w} will run (= clocks it finished). */
    public long clock(int w) {
        return clocks[w];
    }

    public long slowest() {
        return Arrays.stream(clocks).min().orElseThrow();
    }

    /** Workers waiting for the slowest to catch up. */
    public List<Integer> waiting() {
        return List.copyOf(waiting);
    }

    public int staleness() {
        return staleness;
    }
}
