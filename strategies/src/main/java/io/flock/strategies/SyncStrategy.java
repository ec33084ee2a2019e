package io.flock.strategies;

/**
 * The synchronization strategies the pure policy reasons about. Strategies-local on purpose:
 * the actors module has its own {@code Strategy} enum for the wire and the API, and maps one to
 * one by {@link #id()} ("ps-bsp", "ps-ssp", "ps-asp", "ring", "tree"); {@code auto} is not a
 * strategy but the policy choosing one.
 */
public enum SyncStrategy {
    PS_BSP("ps-bsp"),
    PS_SSP("ps-ssp"),
    PS_ASP("ps-asp"),
    RING("ring"),
    TREE("tree");

    private final String id;

    SyncStrategy(String id) {
        this.id = id;
    }

    /** The name used in configuration, the API and metrics. */
    public String id() {
        return id;
    }

    /** True for the strategies that keep parameters on shards. */
    public boolean usesShards() {
        return this == PS_BSP || this == PS_SSP || this == PS_ASP;
    }
}
