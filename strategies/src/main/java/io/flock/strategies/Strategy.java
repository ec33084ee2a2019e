package io.flock.strategies;

/**
 * How workers synchronise: the one strategy type of Flock, used by the job API, the wire, the
 * metrics and the pure policy alike. A job starts with one and can be switched between the
 * concrete ones at runtime; {@link #AUTO} is not a way to synchronise but the policy choosing one.
 *
 * <p>Each concrete strategy belongs to a {@link Family}: where the training state lives between
 * steps. The actors decide their protocol (re-sync from the shards, or form a peer view) by the
 * family, never by the strategy itself, so a new strategy of an existing family needs no change
 * in the coordinator; the actors' runtime registry maps each strategy to its worker loop and its
 * shard serving mode (docs/strategies.md lists the files a new strategy touches).
 */
public enum Strategy {
    /** Sharded parameter server, bulk-synchronous: deterministic trajectory. */
    PS_BSP("ps-bsp", Family.SHARDED_STEPS),
    /** Sharded parameter server with bounded staleness (the job's {@code staleness}). */
    PS_SSP("ps-ssp", Family.SHARDED_ON_ARRIVAL),
    /** Sharded parameter server, fully asynchronous. */
    PS_ASP("ps-asp", Family.SHARDED_ON_ARRIVAL),
    /** Peer-to-peer ring all-reduce, bulk-synchronous. */
    RING("ring", Family.COLLECTIVE),
    /** Reduce + broadcast along a tree, bulk-synchronous. */
    TREE("tree", Family.COLLECTIVE),
    /** Chosen at runtime by a cost model ({@link StrategyPolicy}). */
    AUTO("auto", Family.POLICY);

    /** Where the training state lives between steps, which decides the actors' protocol. */
    public enum Family {
        /** The shards hold parameters and apply a whole step at a time (bulk-synchronous). */
        SHARDED_STEPS,
        /** The shards hold parameters and apply each gradient as it arrives (bounded or no staleness). */
        SHARDED_ON_ARRIVAL,
        /** Every worker holds a full replica; the shards only keep copies at epoch ends and checkpoints. */
        COLLECTIVE,
        /** Not a way to synchronise: a policy that picks a concrete strategy at runtime. */
        POLICY
    }

    private final String id;
    private final Family family;

    Strategy(String id, Family family) {
        this.id = id;
        this.family = family;
    }

    /** The name used in job files, on the command line and in metrics, e.g. {@code ps-bsp}. */
    public String id() {
        return id;
    }

    /** Where this strategy keeps the training state. */
    public Family family() {
        return family;
    }

    /** Peer-to-peer: every worker holds a full replica and the workers all-reduce among themselves. */
    public boolean collective() {
        return family == Family.COLLECTIVE;
    }

    /** Whether shards apply each gradient as it arrives rather than a whole step at a time. */
    public boolean appliesOnArrival() {
        return family == Family.SHARDED_ON_ARRIVAL;
    }

    /** True for the strategies that keep parameters on shards. */
    public boolean usesShards() {
        return family == Family.SHARDED_STEPS || family == Family.SHARDED_ON_ARRIVAL;
    }

    /** True for a way to synchronise (every strategy but {@link #AUTO}). */
    public boolean concrete() {
        return family != Family.POLICY;
    }

    /** Parses a strategy name such as {@code ps-bsp}; the error lists the valid names. */
    public static Strategy parse(String name) {
        for (Strategy s : values()) {
            if (s.id.equalsIgnoreCase(name.trim())) return s;
        }
        StringBuilder valid = new StringBuilder();
        for (Strategy s : values()) valid.append(valid.length() == 0 ? "" : ", ").append(s.id);
        throw new IllegalArgumentException("unknown strategy '" + name + "'; valid: " + valid);
    }
}
