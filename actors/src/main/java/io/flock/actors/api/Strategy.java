package io.flock.actors.api;

/**
 * How workers synchronise. A job starts with one and can be switched between the available ones
 * at runtime ({@code FlockNode.switchStrategy}). Names not built yet are refused at submit time
 * with a clear error.
 */
public enum Strategy {
    /** Sharded parameter server, bulk-synchronous: deterministic trajectory. */
    PS_BSP("ps-bsp", true),
    /** Sharded parameter server with bounded staleness (the job's {@code staleness}). */
    PS_SSP("ps-ssp", true),
    /** Sharded parameter server, fully asynchronous. */
    PS_ASP("ps-asp", true),
    /** Peer-to-peer ring all-reduce, bulk-synchronous. */
    RING("ring", true),
    /** Reduce + broadcast along a tree, bulk-synchronous. */
    TREE("tree", true),
    /** Chosen at runtime by a cost model. */
    AUTO("auto", true);

    private final String id;
    private final boolean available;

    Strategy(String id, boolean available) {
        this.id = id;
        this.available = available;
    }

    /** The name used in job files and on the command line, e.g. {@code ps-bsp}. */
    public String id() {
        return id;
    }

    /**
     * Peer-to-peer: every worker holds a full replica and the workers all-reduce the gradient
     * among themselves; the shards only keep copies at epoch ends and checkpoints.
     */
    public boolean collective() {
        return this == RING || this == TREE;
    }

    /** Whether this build can run the strategy. */
    public boolean available() {
        return available;
    }

    /**
     * Whether shards apply each gradient as it arrives ({@link #PS_SSP}, {@link #PS_ASP}) rather
     * than a whole step at a time.
     */
    public boolean appliesOnArrival() {
        return this == PS_SSP || this == PS_ASP;
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
