package io.flock.actors.coordinator;

import io.flock.strategies.Strategy;

/**
 * The one place where the coordinator's protocol depends on the strategy in force: where the
 * job's live state is between steps (shards or the workers' replicas) and how shards apply
 * gradients. Everything is decided by {@link Strategy#family()}, so a new strategy of an existing
 * family needs no change here.
 */
final class Families {

    private Families() {}

    /**
     * True when the workers' replicas hold the live state (ring, tree): views are formed
     * collectively and the shards hold only copies rank 0 seeds into them.
     */
    static boolean replicated(Strategy s) {
        return switch (s.family()) {
            case COLLECTIVE -> true;
            case SHARDED_STEPS, SHARDED_ON_ARRIVAL, POLICY -> false;
        };
    }

    /**
     * True when shards apply each gradient as it arrives (ps-ssp, ps-asp): they must be switched
     * into that mode, a re-sync audits acknowledged gradients, and steps below the resume point
     * are whole even if their reports were lost.
     */
    static boolean appliesOnArrival(Strategy s) {
        return switch (s.family()) {
            case SHARDED_ON_ARRIVAL -> true;
            case SHARDED_STEPS, COLLECTIVE, POLICY -> false;
        };
    }

    /** The mode the shards serve in under {@code s}: ps-bsp snapshots for the collective family. */
    static Strategy shardMode(Strategy s) {
        return replicated(s) ? Strategy.PS_BSP : s;
    }

    /** The family of {@code s} as {@link RecoveryPolicy} sees it. */
    static Strategy.Family family(Strategy s) {
        return s.family();
    }
}
