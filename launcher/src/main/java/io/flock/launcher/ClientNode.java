package io.flock.launcher;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.FlockConfig;
import io.flock.actors.api.FlockNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A short-lived cluster member for {@code flock train} and {@code flock status}: no worker slots,
 * no shards, no metrics endpoint, an ephemeral port unless {@code --port} says otherwise. It
 * joins through the configured seed nodes and leaves when closed.
 */
final class ClientNode {

    private ClientNode() {}

    /** Starts a client node and waits until it is Up in the cluster. */
    static FlockNode join(ClusterOptions cluster, CommandSpec spec, Duration timeout) throws TimeoutException {
        Map<String, Object> overrides = new HashMap<>(Map.of("flock.node.worker-slots", 0,
                "flock.node.host-shards", false, "flock.metrics.enabled", false));
        if (cluster.port == null) overrides.put("pekko.remote.artery.canonical.port", 0);
        Config config = ConfigFactory.parseMap(overrides, "settings of a client node")
                .withFallback(cluster.config(spec, Map.of()));
        NodeCommand.requireSeedNodes(FlockConfig.load(config));
        FlockNode node = FlockNode.start(config);
        try {
            awaitUp(node, timeout);
        } catch (TimeoutException | RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    private static void awaitUp(FlockNode node, Duration timeout) throws TimeoutException {
        try {
            node.awaitUp(timeout);
        } catch (TimeoutException e) {
            throw new TimeoutException("could not join the cluster through "
                    + node.system().settings().config().getStringList("pekko.cluster.seed-nodes") + " within "
                    + timeout.toSeconds() + " s; are the seed nodes running and reachable?");
        }
    }
}
