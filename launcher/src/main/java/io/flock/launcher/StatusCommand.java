package io.flock.launcher;

import io.flock.actors.api.FlockNode;
import io.flock.actors.config.InvalidConfigException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code flock status}: joins the cluster briefly as a client node and prints its members
 * (address, status, roles), the running job's step, strategy and workers, and where the
 * parameter shards live.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the cluster's members and roles, the running job's step and strategy, and shard placement.")
final class StatusCommand implements Callable<Integer> {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (FlockNode node = ClientNode.join(cluster, spec, TIMEOUT)) {
            Address self = node.address();
            out.println("members:");
            for (Member m : Cluster.get(node.system()).state().getMembers()) {
                out.printf("  %-40s %-8s roles %s%s%n", m.address(), m.status(), new java.util.TreeSet<>(m.getRoles()),
                        m.address().equals(self) ? " (this status client)" : "");
            }
            Map<Address, Integer> shards = node.shardsPerNode(TIMEOUT).toCompletableFuture().get();
            out.println("coordinator: " + node.jobStatus(TIMEOUT).toCompletableFuture().get().describe());
            out.println("parameter shards (entities per node):");
            if (shards.isEmpty()) out.println("  (no node hosts shards)");
            shards.forEach((address, entities) -> out.printf("  %-40s %d%n", address, entities));
            out.flush();
            return ExitCode.OK;
        } catch (InvalidConfigException | TimeoutException e) {
            err.println("flock status: " + e.getMessage());
            err.flush();
            return e instanceof TimeoutException ? ExitCode.SOFTWARE : ExitCode.USAGE;
        }
    }
}
