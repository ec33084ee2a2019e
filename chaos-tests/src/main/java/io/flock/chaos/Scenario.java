package io.flock.chaos;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A chaos experiment: the cluster's nodes, the job (a {@code flock train} job file's {@code job { }}
 * block), and a timeline of faults keyed by committed step or by seconds after step 0. Build one
 * with {@link #builder(String)} or read one from HOCON with {@link ScenarioParser}.
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
    }

    /** When a fault fires. */
    public sealed interface Trigger {
        /** Once the job has committed this step. */
        record AtStep(long step) implements Trigger {}

        /** This many seconds after the job committed step 0. */
        record AtSeconds(double seconds) implements Trigger {}
    }

    /**
     * Which node a fault hits: a node's name, or {@link #COORDINATOR} (the node running the
     * coordinator singleton) or {@link #SHARD_PRIMARY} (another node hosting shard primaries),
     * resolved when the fault fires.
     */
    public record Target(String name) {
        public static final Target COORDINATOR = new Target("coordinator");
        public static final Target SHARD_PRIMARY = new Target("shard-primary");

        public static Target node(String name) {
            return new Target(name);
        }
    }

    /** What happens. */
    public sealed interface Fault {
        /** SIGKILL: the node vanishes. */
        record Kill(Target target) implements Fault {}

        /** SIGSTOP, then SIGCONT after {@code duration}. */
        record Pause(Target target, Duration duration) implements Fault {}

        /** SIGTERM: graceful leave. */
        record Leave(Target target) implements Fault {}

        /** A new node joins. */
        record AddNode(NodeSpec node) implements Fault {}
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

        public Builder timeout(Duration t) {
            this.timeout = t;
            return this;
        }

        public Scenario build() {
            return new Scenario(name, nodes, job == null ? ConfigFactory.empty() : job, timeline, timeout);
        }
    }
}
