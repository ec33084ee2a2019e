package io.flock.chaos;

import io.flock.strategies.Strategy;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A chaos experiment: the cluster's nodes, the job (a {@code flock train} job file's {@code job { }}
 * block), and a timeline of faults keyed by committed step, by seconds after step 0, or by steps
 * after the previous fault. Process faults act on node JVMs (kill -9, SIGSTOP, SIGTERM, restart,
 * a full stop and resume); network faults act on the TCP traffic between processes through the
 * harness's proxies ({@link io.flock.chaos.net.ChaosNetwork}). Build one with
 * {@link #builder(String)} or read one from HOCON with {@link ScenarioParser}.
 *
 * @param name     used in reports and as the run directory's name
 * @param nodes    the nodes started before the job; the first is the seed
 * @param job      a config holding a {@code job} block in the job-file format
 * @param timeline faults in the order given
 * @param timeout  how long the job may take before the run fails
 */
public record Scenario(String name, List<NodeSpec> nodes, Config job, List<Event> timeline, Duration timeout) {

    public Scenario {
        nodes = List.copyOf(nodes);
        timeline = List.copyOf(timeline);
        if (nodes.isEmpty()) throw new IllegalArgumentException("scenario " + name + " has no nodes");
        if (!job.hasPath("job")) throw new IllegalArgumentException("scenario " + name + " has no job { } block");
        for (NodeSpec n : nodes) {
            if (Target.RESERVED.contains(n.name())) {
                throw new IllegalArgumentException("node name '" + n.name() + "' is reserved; reserved: " + Target.RESERVED);
            }
        }
    }

    /** Whether some fault acts on the network: the nodes must then be started behind proxies. */
    public boolean needsNetwork() {
        return timeline.stream().anyMatch(e -> e.fault() instanceof Fault.NetworkFault);
    }

    /** When a fault fires. */
    public sealed interface Trigger {
        /** Once the job has committed this step. */
        record AtStep(long step) implements Trigger {}

        /** This many seconds after the job committed step 0. */
        record AtSeconds(double seconds) implements Trigger {}

        /**
         * Once the job has committed this many steps after the previous fault was done (its
         * restart Up again, say): faults that take long follow each other without guessing steps.
         */
        record AfterSteps(long steps) implements Trigger {}
    }

    /**
     * Which process a fault hits: a node's name, or {@link #COORDINATOR} (the node running the
     * coordinator singleton) or {@link #SHARD_PRIMARY} (another node hosting shard primaries),
     * resolved when the fault fires; network faults may also name {@link #TRAIN}, the
     * {@code flock train} client (a cluster member too).
     */
    public record Target(String name) {
        public static final Target COORDINATOR = new Target("coordinator");
        public static final Target SHARD_PRIMARY = new Target("shard-primary");
        public static final Target TRAIN = new Target("train");
        /** Names no node may take. */
        public static final java.util.Set<String> RESERVED = java.util.Set.of("coordinator", "shard-primary", "train");

        public static Target node(String name) {
            return new Target(name);
        }
    }

    /** What happens. {@code Duration.ZERO} as a network fault's duration means until the end of the run. */
    public sealed interface Fault {
        /** SIGKILL: the node vanishes. */
        record Kill(Target target) implements Fault {}

        /** SIGSTOP, then SIGCONT after {@code duration}. */
        record Pause(Target target, Duration duration) implements Fault {}

        /** SIGTERM: graceful leave. */
        record Leave(Target target) implements Fault {}

        /** A new node joins. */
        record AddNode(NodeSpec node) implements Fault {}

        /**
         * SIGTERM, wait for the process to exit, start the same node again (a new process, a new
         * address) and wait until it is Up: one step of a rolling restart.
         */
        record Restart(Target target) implements Fault {}

        /**
         * The whole cluster stops: kill -9 of every node and of the {@code flock train} client; then
         * a fresh cluster of the same nodes (same checkpoint directory) and {@code flock train --resume}.
         */
        record FullRestart() implements Fault {}

        /**
         * Not a fault but an operation under faults: {@code flock switch <to>} from a client
         * process switches the running job's strategy (ps-bsp, ps-ssp, ps-asp, ring, tree).
         */
        record Switch(io.flock.strategies.Strategy to) implements Fault {}

        /** A fault on TCP traffic between processes (needs the nodes behind proxies). */
        sealed interface NetworkFault extends Fault {}

        /**
         * No connection passes between processes on different sides for {@code duration}, then
         * heal. Processes named on no side (the {@code flock train} client, nodes added later) are
         * on the largest side (the first of the largest on a tie).
         */
        record Partition(List<List<Target>> sides, Duration duration) implements NetworkFault {
            public Partition {
                sides = sides.stream().map(List::copyOf).toList();
                if (sides.size() < 2 || sides.stream().anyMatch(List::isEmpty)) {
                    throw new IllegalArgumentException("a partition needs at least two non-empty sides, got " + sides);
                }
            }
        }

        /** Lifts a partition now. */
        record Heal() implements NetworkFault {}

        /** Every chunk {@code from} sends to {@code to} (both ways: also back) arrives {@code delay} later, in order. */
        record Latency(Target from, Target to, Duration delay, boolean bothWays, Duration duration) implements NetworkFault {}

        /** What {@code from} sends to {@code to} (both ways: also back) passes at most {@code bytesPerSecond}. */
        record Bandwidth(Target from, Target to, long bytesPerSecond, boolean bothWays, Duration duration)
                implements NetworkFault {
            public Bandwidth {
                if (bytesPerSecond <= 0) throw new IllegalArgumentException("bandwidth must be positive: " + bytesPerSecond);
            }
        }

        /** The open connections from {@code from} to {@code to} (both ways: also back) are reset mid-stream. */
        record Drop(Target from, Target to, boolean bothWays) implements NetworkFault {}
    }

    /** One entry of the timeline. */
    public record Event(Trigger at, Fault fault) {}

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Java form of a scenario: {@code builder("x").nodes(...).job(hocon).atStep(40, new Kill(node("n3"))).build()}. */
    public static final class Builder {
        private final String name;
        private final List<NodeSpec> nodes = new ArrayList<>();
        private final List<Event> timeline = new ArrayList<>();
        private Config job;
        private Duration timeout = Duration.ofMinutes(3);

        private Builder(String name) {
            this.name = name;
        }

        public Builder node(String nodeName, int workerSlots, boolean hostShards) {
            nodes.add(new NodeSpec(nodeName, workerSlots, hostShards));
            return this;
        }

        /** The job in job-file HOCON: {@code job { dataset { ... }, steps = 200, ... }}. */
        public Builder job(String hocon) {
            this.job = ConfigFactory.parseString(hocon);
            return this;
        }

        public Builder atStep(long step, Fault fault) {
            timeline.add(new Event(new Trigger.AtStep(step), fault));
            return this;
        }

        public Builder atSeconds(double seconds, Fault fault) {
            timeline.add(new Event(new Trigger.AtSeconds(seconds), fault));
            return this;
        }

        /** {@code fault} once {@code steps} more steps are committed after the previous fault was done. */
        public Builder afterSteps(long steps, Fault fault) {
            timeline.add(new Event(new Trigger.AfterSteps(steps), fault));
            return this;
        }

        public Builder timeout(Duration t) {
            this.timeout = t;
            return this;
        }

        public Scenario build() {
            return new Scenario(name, nodes, job == null ? ConfigFactory.empty() : job, timeline, timeout);
        }
    }
}
