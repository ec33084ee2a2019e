package io.flock.actors.shard;

import io.flock.actors.wire.FlockMessage;
import io.flock.strategies.BspShardState;
import io.flock.tensor.optim.OptimizerSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A Cluster Sharding entity owning one contiguous slice of a job's parameters and optimizer
 * state. A thin actor over {@link BspShardState}: it applies a step once all micro-batch
 * gradients are in and answers pulls for a version once that version exists (pulls for a
 * future version wait here, which is what makes workers proceed in lock-step).
 */
public final class ParameterShard extends AbstractBehavior<ParameterShard.Command> {

    /** The sharded entity type; entity ids come from {@link #entityId(String, int)}. */
    public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "ParameterShard");

    /** Messages a shard accepts. */
    public sealed interface Command extends FlockMessage {}

    /**
     * Seeds the shard with its slice. Idempotent: a repeated Init for the same job and version is
     * acknowledged without resetting state.
     */
    public record Init(String jobId, int shardIndex, INDArray params, INDArray optimizerState,
            OptimizerSpec optimizer, int microBatches, long version, ActorRef<Reply> replyTo) implements Command {}

    /**
     * Asks for the parameters at {@code version}; answered once the shard has reached it.
     * {@code requestId} is echoed so the asker can ignore answers to requests it superseded.
     */
    public record Pull(String jobId, long version, long requestId, ActorRef<Reply> replyTo) implements Command {}

    /** The gradient slice of micro-batch {@code microBatch} of step {@code step}. */
    public record Push(String jobId, long step, int microBatch, INDArray gradient) implements Command {}

    /**
     * Asks for parameters, optimizer state and applied-step log at exactly {@code atVersion}: held
     * until the shard reaches it, so snapshots from all shards form one consistent state without
     * pausing training. A shard already past it answers with its current version (the asker
     * treats that as missed and asks again for a later version).
     */
    public record GetSnapshot(String jobId, long atVersion, ActorRef<Reply> replyTo) implements Command {}

    /** Asks for the number of steps this shard has applied. */
    public record GetVersion(String jobId, ActorRef<Reply> replyTo) implements Command {}

    /** The job is over: drop the state and stop. */
    public record Release(String jobId) implements Command {}

    /** Replies of a shard. */
    public sealed interface Reply extends FlockMessage {
        String jobId();

        int shardIndex();
    }

    public record Initialized(String jobId, int shardIndex, long version) implements Reply {}

    /** This shard has applied steps 0..version-1. */
    public record Version(String jobId, int shardIndex, long version) implements Reply {}

    /** Parameters at {@code version}: the state after steps 0..version-1; answers request {@code requestId}. */
    public record Pulled(String jobId, int shardIndex, long version, long requestId, INDArray params)
            implements Reply {}

    public record Snapshot(String jobId, int shardIndex, long version, INDArray params, INDArray optimizerState,
            long[] appliedSteps) implements Reply {}

    private final ActorContext<Command> context;
    private final String entityId;
    private final List<Pull> waitingPulls = new ArrayList<>();
    private final List<GetSnapshot> waitingSnapshots = new ArrayList<>();
    private String jobId;
    private int shardIndex;
    private BspShardState state;

    private ParameterShard(ActorContext<Command> context, String entityId) {
        super(context);
        this.context = context;
        this.entityId = entityId;
    }

    public static Behavior<Command> create(String entityId) {
        return Behaviors.setup(ctx -> new ParameterShard(ctx, entityId));
    }

    /** Cluster role of nodes that host shards (see {@code flock.node.host-shards}). */
    public static final String ROLE = "shard";

    /** Registers the entity type on this node; call once per node at startup. */
    public static void initSharding(ActorSystem<?> system) {
        ClusterSharding.get(system).init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId())).withRole(ROLE));
    }

    /** The entity id of shard {@code index} of job {@code jobId}. */
    public static String entityId(String jobId, int index) {
        return jobId + "-shard-" + index;
    }

    /** A reference to shard {@code index} of job {@code jobId}, wherever it lives. */
    public static EntityRef<Command> ref(ActorSystem<?> system, String jobId, int index) {
        return ClusterSharding.get(system).entityRefFor(TYPE_KEY, entityId(jobId, index));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Init.class, this::onInit)
                .onMessage(Push.class, this::onPush)
                .onMessage(Pull.class, this::onPull)
                .onMessage(GetSnapshot.class, this::onGetSnapshot)
                .onMessage(GetVersion.class, this::onGetVersion)
                .onMessage(Release.class, this::onRelease)
                .build();
    }

    private Behavior<Command> onInit(Init init) {
        if (state == null || !init.jobId().equals(jobId)) {
            jobId = init.jobId();
            shardIndex = init.shardIndex();
            state = new BspShardState(init.params(), init.optimizerState(), init.optimizer(), init.microBatches(),
                    init.version());
            state.onVersion(this::answerWaitingSnapshots);
            context.getLog().debug("{}: holds {} parameters from version {}", entityId, init.params().length(),
                    init.version());
        }
        init.replyTo().tell(new Initialized(jobId, shardIndex, state.version()));
        return this;
    }

    private Behavior<Command> onPush(Push push) {
        if (!owns(push.jobId())) return this;
        if (state.push(push.step(), push.microBatch(), push.gradient()) == BspShardState.Outcome.APPLIED) {
            answerWaitingPulls();
        }
        return this;
    }

    private Behavior<Command> onPull(Pull pull) {
        if (!owns(pull.jobId())) return this;
        if (pull.version() > state.version()) {
            waitingPulls.add(pull);
        } else if (state.paramsAt(pull.version()) != null) {
            pull.replyTo().tell(new Pulled(jobId, shardIndex, pull.version(), pull.requestId(),
                    state.paramsAt(pull.version()).dup()));
        } else {
            // Too old to serve: answer with what we have; the worker skips ahead.
            pull.replyTo().tell(new Pulled(jobId, shardIndex, state.version(), pull.requestId(), state.params().dup()));
        }
        return this;
    }

    private Behavior<Command> onGetSnapshot(GetSnapshot get) {
        if (!owns(get.jobId())) return this;
        if (get.atVersion() > state.version()) waitingSnapshots.add(get);
        else get.replyTo().tell(snapshot());
        return this;
    }

    /** Runs inside the step application: the state is exactly at {@code version} right now. */
    private void answerWaitingSnapshots(long version) {
        for (Iterator<GetSnapshot> it = waitingSnapshots.iterator(); it.hasNext(); ) {
            GetSnapshot get = it.next();
            if (get.atVersion() <= version) {
                get.replyTo().tell(snapshot());
                it.remove();
            }
        }
    }

    private Snapshot snapshot() {
        long[] applied = state.appliedSteps().stream().mapToLong(Long::longValue).toArray();
        return new Snapshot(jobId, shardIndex, state.version(), state.params().dup(), state.optimizerState().dup(),
                applied);
    }

    private Behavior<Command> onGetVersion(GetVersion get) {
        if (owns(get.jobId())) get.replyTo().tell(new Version(jobId, shardIndex, state.version()));
        return this;
    }

    private Behavior<Command> onRelease(Release release) {
        if (!owns(release.jobId())) return this;
        context.getLog().debug("{}: released at version {}", entityId, state.version());
        return Behaviors.stopped();
    }

    private void answerWaitingPulls() {
        for (Iterator<Pull> it = waitingPulls.iterator(); it.hasNext(); ) {
            Pull p = it.next();
            if (p.version() <= state.version()) {
                onPull(p);
                it.remove();
            }
        }
    }

    private boolean owns(String job) {
        if (state != null && job.equals(jobId)) return true;
        context.getLog().warn("{}: dropping message for job {} (holding {})", entityId, job, jobId);
        return false;
    }
}
