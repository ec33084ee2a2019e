package io.flock.actors.api;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.tensor.data.DatasetCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * An embedded cluster of several Flock nodes in this JVM, each a real ActorSystem talking Artery
 * TCP over 127.0.0.1 on an ephemeral port. Used by the demo and the integration tests: the same
 * code path as a multi-machine cluster, minus the machines.
 */
public final class LocalCluster implements AutoCloseable {

    private final List<FlockNode> nodes = new ArrayList<>();
    private final DatasetCache shared = new DatasetCache();
    private final Config base;

    private LocalCluster(Config overrides) {
        this.base = overrides.withFallback(ConfigFactory.parseString("""
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                pekko.coordinated-shutdown.exit-jvm = off
                # terminate() is a crash (no leave); leave() and close() shut down gracefully
                pekko.coordinated-shutdown.run-by-actor-system-terminate = off
                """));
    }

    /** An empty cluster: add nodes one by one with {@link #addNode(int, boolean)}. */
    public static LocalCluster create(Config overrides) {
        return new LocalCluster(overrides);
    }

    /**
     * Starts {@code size} nodes with {@code workersPerNode} worker slots each, joins them and
     * waits until all are Up.
     *
     * @param overrides extra config applied to every node (may be empty)
     */
    public static LocalCluster start(int size, int workersPerNode, Config overrides) throws TimeoutException {
        if (size <= 0) throw new IllegalArgumentException("cluster size must be positive, got " + size);
        LocalCluster cluster = new LocalCluster(overrides);
        try {
            for (int i = 0; i < size; i++) cluster.addNode(workersPerNode, true);
        } catch (RuntimeException | TimeoutException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /**
     * Starts one more node, joins it to the cluster and waits until every live node sees it Up.
     *
     * @param workerSlots worker actors on the new node
     * @param hostShards  whether the new node may host parameter shards
     */
    public FlockNode addNode(int workerSlots, boolean hostShards) throws TimeoutException {
        Config config = ConfigFactory.parseString("flock.node.worker-slots = " + workerSlots
                + "\nflock.node.host-shards = " + hostShards).withFallback(base);
        FlockNode node = FlockNode.start(config, shared);
        nodes.add(node);
        node.join(nodes.get(0).address());
        for (FlockNode n : nodes) n.awaitMembersUp(nodes.size(), Duration.ofSeconds(30));
        return node;
    }

    /** Stops node {@code i} abruptly: it does not leave; the others see it unreachable and down it. */
    public void crash(int i) {
        FlockNode node = nodes.remove(i);
        node.system().terminate();
    }

    /** Node {@code i} leaves the cluster gracefully and stops (CoordinatedShutdown). */
    public void leave(int i) {
        nodes.remove(i).close();
    }

    /**
     * Index of a node other than the oldest (the coordinator's) that hosts parameter-shard
     * entities, asked from cluster sharding; -1 if none does. For tests and benchmarks that
     * must crash a shard primary's node.
     */
    public int nodeHostingShards() throws Exception {
        var hosted = nodes.get(0).shardsPerNode(Duration.ofSeconds(5)).toCompletableFuture()
                .get(15, java.util.concurrent.TimeUnit.SECONDS);
        for (int i = nodes.size() - 1; i >= 1; i--) {
            if (hosted.getOrDefault(nodes.get(i).address(), 0) > 0) return i;
        }
        return -1;
    }

    public List<FlockNode> nodes() {
        return List.copyOf(nodes);
    }

    public FlockNode node(int i) {
        return nodes.get(i);
    }

    /** Stops every node gracefully, the last-started first. */
    @Override
    public void close() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            try {
                nodes.get(i).close();
            } catch (RuntimeException e) {
                // keep stopping the others; the first failure is not worth leaking the rest for
            }
        }
        nodes.clear();
    }
}
