package io.flock.chaos;

/**
 * One node of a chaos cluster: its name in scenarios and reports, its worker slots and whether it
 * hosts parameter shards. The first node of a cluster is its only seed.
 */
public record NodeSpec(String name, int workerSlots, boolean hostShards) {

    public NodeSpec {
        if (!name.matches("[A-Za-z0-9_-]{1,32}")) {
            throw new IllegalArgumentException("node name '" + name + "' must be 1-32 characters of [A-Za-z0-9_-]");
        }
        if (workerSlots < 0) throw new IllegalArgumentException("worker slots of " + name + " must be >= 0");
    }
}
