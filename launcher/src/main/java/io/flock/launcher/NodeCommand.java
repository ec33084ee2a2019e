package io.flock.launcher;

import com.typesafe.config.Config;
import io.flock.actors.api.FlockConfig;
import io.flock.actors.api.FlockNode;
import io.flock.actors.config.InvalidConfigException;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import org.apache.pekko.actor.CoordinatedShutdown;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flock node}: runs one cluster node until it is stopped. SIGTERM (and SIGINT) run
 * Pekko's CoordinatedShutdown: the node leaves the cluster, its sharded entities stop and the
 * process exits with 0. Exit codes: 0 stopped by a signal or by leaving, 1 removed by the
 * cluster (downed), 2 invalid configuration or usage.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Run one Flock node (a seed node is a node listed in pekko.cluster.seed-nodes) until SIGTERM.")
final class NodeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--roles", split = ",", description = "Extra cluster roles (pekko.cluster.roles).")
    List<String> roles;

    @Option(names = "--worker-slots", description = "Worker actors on this node (flock.node.worker-slots).")
    Integer workerSlots;

    @Option(names = "--host-shards", paramLabel = "on|off",
            description = "Whether this node hosts parameter shards (flock.node.host-shards).")
    String hostShards;

    @Option(names = "--metrics-port", description = "Port of /metrics, 0 = any free port (flock.metrics.port).")
    Integer metricsPort;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Config config = cluster.config(spec, flags());
        FlockNode node;
        try {
            requireSeedNodes(FlockConfig.load(config));
            node = FlockNode.start(config);
        } catch (InvalidConfigException e) {
            err.println("flock node: " + e.getMessage());
            err.flush();
            return ExitCode.USAGE;
        }
        StopOnSignal.install(node.system());
        Config settings = node.system().settings().config();
        out.printf("Flock node %s started; metrics %s; admin %s%n", node.address(),
                endpoint(settings.getString("flock.metrics.host"), node.metricsPort(), "/metrics"),
                endpoint(settings.getString("flock.admin.host"), node.adminPort(), "/admin/status"));
        out.flush();
        node.system().getWhenTerminated().toCompletableFuture().join();
        var reason = CoordinatedShutdown.get(node.system()).getShutdownReason();
        out.printf("Flock node %s stopped (%s)%n", node.address(), reason.map(Object::toString).orElse("terminated"));
        out.flush();
        return reason.filter(StopOnSignal::isGraceful).isPresent() ? ExitCode.OK : ExitCode.SOFTWARE;
    }

    private static String endpoint(String host, OptionalInt port, String path) {
        return port.isPresent() ? "at http://" + host + ":" + port.getAsInt() + path : "off";
    }

    private Map<String, Object> flags() {
        Map<String, Object> map = new HashMap<>();
        if (roles != null) map.put("pekko.cluster.roles", roles);
        if (workerSlots != null) map.put("flock.node.worker-slots", workerSlots);
        if (hostShards != null) map.put("flock.node.host-shards", hostShards);
        if (metricsPort != null) map.put("flock.metrics.port", metricsPort);
        return map;
    }

    /** A node that knows no seed node never joins anything: refuse to start it. */
    static void requireSeedNodes(Config resolved) {
        if (resolved.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
            throw new InvalidConfigException(List.of("pekko.cluster.seed-nodes: required value is "
                    + "empty: list at least one seed node (a seed lists itself to start a new cluster), in the "
                    + "--config file or with --seed-nodes"));
        }
    }
}
