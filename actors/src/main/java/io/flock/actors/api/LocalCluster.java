package io.flock.actors.api;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.actors.node.DatasetCache;
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

    private LocalCluster() {}

    /**
     * Starts {@code size} nodes with {@code workersPerNode} worker slots each, joins them and
     * waits until all are Up.
     *
     * @param overrides extra config applied to every node (may be empty)
     */
    public static LocalCluster start(int size, int workersPerNode, Config overrides) throws TimeoutException {
        if (size <= 0) throw new IllegalArgumentException("cluster size must be positive, got " + size);
        LocalCluster cluster = new LocalCluster();
        DatasetCache shared = new DatasetCache();
        Config config = overrides
                .withFallback(ConfigFactory.parseString("""
                        pekko.remote.artery.canonical.hostname = "127.0.0.1"
                        pekko.remote.artery.canonical.port = 0
                        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                        pekko.coordinated-shutdown.exit-jvm = off
                        """))
                .withFallback(ConfigFactory.parseString("flock.node.worker-slots = " + workersPerNode));
        try {
            for (int i = 0; i < size; i++) {
                FlockNode node = FlockNode.start(config, shared);
                cluster.nodes.add(node);
                node.join(cluster.nodes.get(0).address());
            }
            for (FlockNode node : cluster.nodes) node.awaitMembersUp(size, Duration.ofSeconds(30));
        } catch (RuntimeException | TimeoutException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    public List<FlockNode> nodes() {
        return List.copyOf(nodes);
    }

    public FlockNode node(int i) {
        return nodes.get(i);
    }

    /** Stops every node, the last-started first. */
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
