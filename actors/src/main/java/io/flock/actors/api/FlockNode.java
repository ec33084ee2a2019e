package io.flock.actors.api;

import io.flock.actors.config.InvalidConfigException;
import io.flock.strategies.Strategy;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.actors.job.TrainingJob;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingResult;
import io.flock.actors.job.JobStatus;
import io.flock.actors.job.SwitchResult;
import io.flock.actors.admin.AdminHttp;
import io.flock.actors.coordinator.Coordinator;
import io.flock.actors.metrics.FlockMetrics;
import io.flock.tensor.data.DatasetCache;
import io.flock.actors.node.FlockGuardian;
import io.flock.actors.node.NodeSettings;
import io.flock.actors.shard.ParameterShard;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion.ClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * One Flock node: an ActorSystem named {@code flock} that joins a Pekko cluster, hosts worker
 * slots and parameter shards, and can host the coordinator. The entry point of the Java API:
 * start a node, join a cluster, {@link #submit submit} jobs.
 *
 * <pre>{@code
 * try (FlockNode node = FlockNode.start(ConfigFactory.parseFile(new File("node.conf")))) {
 *     TrainingResult r = node.submit(job, System.out::println).result().toCompletableFuture().join();
 * }
 * }</pre>
 */
public final class FlockNode implements AutoCloseable {

    /** Every node of one cluster uses this ActorSystem name. */
    public static final String SYSTEM_NAME = "flock";

    private final ActorSystem<Void> system;
    private final ActorRef<Coordinator.Command> coordinator;
    private final OptionalInt adminPort;

    private FlockNode(ActorSystem<Void> system, DatasetCache datasets) {
        this.system = system;
        FlockMetrics.get(system); // starts the metrics endpoint with the node
        this.coordinator = FlockGuardian.coordinator(system, datasets);
        this.adminPort = AdminHttp.startIfEnabled(system, new AdminJobControl(system, coordinator));
    }

    /**
     * Starts a node from {@code config}, layered over the defaults by {@link FlockConfig}.
     *
     * @throws InvalidConfigException when a {@code flock} key is unknown, of the
     *         wrong type or unset; the message names each key and where it was set
     */
    public static FlockNode start(Config config) {
        return start(config, new DatasetCache());
    }

    /** Starts a node that shares {@code datasets} with other nodes in this JVM. */
    public static FlockNode start(Config config, DatasetCache datasets) {
        Config loaded = FlockConfig.load(config);
        FlockConfig.validate(loaded);
        Config resolved = withShardRole(loaded);
        NodeSettings settings = NodeSettings.fromConfig(resolved);
        ActorSystem<Void> system = ActorSystem.create(FlockGuardian.create(settings, datasets), SYSTEM_NAME, resolved);
        return new FlockNode(system, datasets);
    }

    /** Adds the shard role to {@code pekko.cluster.roles} when {@code flock.node.host-shards} is on. */
    private static Config withShardRole(Config config) {
        if (!config.getBoolean("flock.node.host-shards")) return config;
        java.util.List<String> roles = new java.util.ArrayList<>(config.getStringList("pekko.cluster.roles"));
        if (!roles.contains(ParameterShard.ROLE)) roles.add(ParameterShard.ROLE);
        return ConfigFactory.parseMap(java.util.Map.of("pekko.cluster.roles", roles)).withFallback(config);
    }

    /** The port this node serves Prometheus metrics on ({@code /metrics}), empty when {@code flock.metrics} is off. */
    public OptionalInt metricsPort() {
        return FlockMetrics.get(system).port();
    }

    /** The port of this node's admin HTTP endpoint, empty when {@code flock.admin.token} is unset. */
    public OptionalInt adminPort() {
        return adminPort;
    }

    /** This node's cluster address (with the real port when configured with port 0). */
    public Address address() {
        return Cluster.get(system).selfMember().address();
    }

    /** Joins the cluster that {@code seed} belongs to (or forms one when {@code seed} is this node). */
    public void join(Address seed) {
        Cluster.get(system).manager().tell(Join.create(seed));
    }

    /** Waits until this node itself is Up in the cluster (it joined through its seed nodes). */
    public void awaitUp(Duration timeout) throws TimeoutException {
        CompletableFuture<Void> up = new CompletableFuture<>();
        org.apache.pekko.cluster.Cluster.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system))
                .registerOnMemberUp(() -> up.complete(null));
        try {
            up.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("waiting for Up failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("interrupted while waiting to be Up");
        }
    }

    /** Waits until this node sees {@code members} members Up. */
    public void awaitMembersUp(int members, Duration timeout) throws TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (upMembers() < members) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("only " + upMembers() + " of " + members + " members Up after " + timeout);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TimeoutException("interrupted while waiting for members");
            }
        }
    }

    private int upMembers() {
        int up = 0;
        for (var m : Cluster.get(system).state().getMembers()) {
            if (m.status() == MemberStatus.up()) up++;
        }
        return up;
    }

    /** Submits {@code job}; {@code listener} receives its events in order on an actor thread. */
    public JobHandle submit(TrainingJob job, Consumer<TrainingEvent> listener) {
        return start(job, listener, false);
    }

    /**
     * Submits {@code job} to continue from its newest valid checkpoint (in the coordinator's
     * {@code flock.checkpoint.dir}); corrupt or truncated ones are skipped and reported in a
     * {@link TrainingEvent.Restored} event. Without any usable checkpoint it starts from step 0.
     */
    public JobHandle resume(TrainingJob job, Consumer<TrainingEvent> listener) {
        return start(job, listener, true);
    }

    /** Asks the coordinator to checkpoint the running job {@code jobId} at the next step boundary. */
    public java.util.concurrent.CompletionStage<io.flock.actors.checkpoint.CheckpointResult> checkpointNow(
            String jobId, Duration timeout) {
        return org.apache.pekko.actor.typed.javadsl.AskPattern.ask(coordinator,
                replyTo -> new Coordinator.CheckpointNow(jobId, replyTo), timeout, system.scheduler());
    }

    /**
     * Switches the running job {@code jobId} to {@code strategy} at its next step boundary.
     * Parameters, optimizer state and step carry over; the result says from which step the new
     * strategy is in force, or why the job kept its strategy.
     */
    public CompletionStage<SwitchResult> switchStrategy(String jobId, Strategy strategy, Duration timeout) {
        return switchStrategy(jobId, strategy, -1, timeout);
    }

    /**
     * Like {@link #switchStrategy(String, Strategy, Duration)}, at step {@code atStep} (the
     * state after {@code atStep} steps is the first the new strategy trains from), or at the next
     * boundary if a worker already began that step.
     */
    public CompletionStage<SwitchResult> switchStrategy(String jobId, Strategy strategy, long atStep,
            Duration timeout) {
        return org.apache.pekko.actor.typed.javadsl.AskPattern.ask(coordinator,
                replyTo -> new Coordinator.SwitchStrategy(jobId, strategy, atStep, "requested through the API",
                        replyTo), timeout, system.scheduler());
    }

    private JobHandle start(TrainingJob job, Consumer<TrainingEvent> listener, boolean resume) {
        CompletableFuture<TrainingResult> result = new CompletableFuture<>();
        ActorRef<TrainingEvent> client = system.systemActorOf(JobClient.create(listener, result),
                "client-" + job.jobId() + "-" + System.nanoTime(), Props.empty());
        coordinator.tell(new Coordinator.Submit(job, client, resume));
        return new JobHandle(job.jobId(), result);
    }

    /** Asks the coordinator what it is running. */
    public CompletionStage<JobStatus> jobStatus(Duration timeout) {
        return AskPattern.ask(coordinator, Coordinator.GetStatus::new, timeout, system.scheduler());
    }

    /**
     * Slows every worker slot on this node down by {@code delay} per step, from each one's next
     * step on, under any strategy ({@link io.flock.actors.worker.Worker.SetStepDelay};
     * {@link Duration#ZERO} removes it): a straggler on demand for tests, chaos runs and strategy
     * experiments. Completes with the number of worker slots told.
     */
    public CompletionStage<Integer> setStepDelay(Duration delay) {
        var message = new io.flock.actors.worker.Worker.SetStepDelay(delay);
        var key = io.flock.actors.worker.Worker.SERVICE_KEY;
        return AskPattern.<org.apache.pekko.actor.typed.receptionist.Receptionist.Command,
                        org.apache.pekko.actor.typed.receptionist.Receptionist.Listing>ask(system.receptionist(),
                        replyTo -> org.apache.pekko.actor.typed.receptionist.Receptionist.find(key, replyTo),
                        Duration.ofSeconds(10), system.scheduler())
                .thenApply(listing -> {
                    int told = 0;
                    for (var worker : listing.getServiceInstances(key)) {
                        if (worker.path().address().hasLocalScope()) {
                            worker.tell(message);
                            told++;
                        }
                    }
                    return told;
                });
    }

    /**
     * Where the parameter shards live: every member with a shard region (nodes with
     * {@code flock.node.host-shards} on), mapped to the number of shard entities it hosts now,
     * as Cluster Sharding reports it.
     */
    public CompletionStage<Map<Address, Integer>> shardsPerNode(Duration timeout) {
        return AskPattern.<ClusterShardingQuery, ClusterShardingStats>ask(ClusterSharding.get(system).shardState(),
                        replyTo -> new GetClusterShardingStats(ParameterShard.TYPE_KEY, timeout, replyTo),
                        timeout.plusSeconds(5), system.scheduler())
                .thenApply(stats -> {
                    Map<Address, Integer> hosted = new LinkedHashMap<>();
                    stats.getRegions().forEach((address, region) -> hosted.put(address,
                            region.getStats().values().stream().mapToInt(n -> ((Number) n).intValue()).sum()));
                    return hosted;
                });
    }

    /** Submits {@code job} without a listener. */
    public JobHandle submit(TrainingJob job) {
        return submit(job, e -> { });
    }

    /** The underlying ActorSystem, for users who integrate Flock's typed protocol with their own actors. */
    public ActorSystem<Void> system() {
        return system;
    }

    /** The coordinator singleton's proxy on this node. */
    public ActorRef<Coordinator.Command> coordinator() {
        return coordinator;
    }

    /** Leaves the cluster and terminates the ActorSystem (CoordinatedShutdown). */
    @Override
    public void close() {
        CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("node " + system.address() + " did not terminate within 30 s", e);
        }
    }
}
