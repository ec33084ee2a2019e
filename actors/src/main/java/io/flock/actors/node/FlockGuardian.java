package io.flock.actors.node;

import io.flock.tensor.data.DatasetCache;
import io.flock.actors.coordinator.Coordinator;
import io.flock.actors.shard.BackupHost;
import io.flock.actors.node.ClusterMetrics;
import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.worker.Worker;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The root actor of a Flock node. It only wires: registers the parameter-shard entity type,
 * the coordinator singleton (every node can host it; the oldest does) and this node's
 * worker slots, each on the worker dispatcher so gradient math never starves the cluster's
 * heartbeats, and, with metrics on, the actor that keeps the cluster gauges current.
 */
public final class FlockGuardian {

    private FlockGuardian() {}

    public static Behavior<Void> create(NodeSettings settings, DatasetCache datasets) {
        return Behaviors.setup(ctx -> {
            ParameterShard.initSharding(ctx.getSystem());
            if (settings.hostShards()) ctx.spawn(BackupHost.create(), "backup-host");
            coordinator(ctx.getSystem(), datasets);
            if (FlockMetrics.get(ctx.getSystem()).settings().enabled()) ctx.spawn(ClusterMetrics.create(), "cluster-metrics");
            for (int i = 0; i < settings.workerSlots(); i++) {
                ctx.spawn(Behaviors.supervise(Worker.create(datasets)).onFailure(SupervisorStrategy.restart()),
                        "worker-" + i,
                        DispatcherSelector.fromConfig("flock.worker-dispatcher"));
            }
            return Behaviors.empty();
        });
    }

    /** The coordinator singleton's proxy on this node (idempotent). */
    public static ActorRef<Coordinator.Command> coordinator(ActorSystem<?> system, DatasetCache datasets) {
        return ClusterSingleton.get(system).init(
                SingletonActor.of(Coordinator.create(datasets), Coordinator.SINGLETON_NAME));
    }
}
