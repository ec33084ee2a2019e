package io.flock.actors.shard;

import io.flock.actors.wire.FlockMessage;
import io.flock.strategies.BspShardState;
import io.flock.strategies.Strategy;
import io.flock.tensor.optim.OptimizerSpec;
import io.flock.tensor.wire.TensorChecksum;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A Cluster Sharding entity owning one contiguous slice of a job's parameters and optimizer
 * state: the primary of the shard. This class is its protocol and its place in sharding; the
 * actor is {@link ShardPrimary}, a thin lifecycle of four behaviours (placing a backup,
 * recovering, serving, lost) over a {@link ServingMode} per kind of strategy ({@link BspServing},
 * {@link SspServing}), {@link ModeSwitch} and {@link BackupLink}.
 *
 * <p>Replication: the primary forwards every accepted gradient to its {@link ShardBackup} and
 * hands out a version only once the backup acknowledged it, so an acknowledged step survives the
 * primary's node. When that node dies, sharding re-creates the entity elsewhere; its first
 * message is then not an Init, so it stashes messages, finds its backup through the
 * {@link BackupHost}s, adopts the backup's state and makes sure a backup lives on another node
 * again. See docs/replication.md, docs/protocol-ps-bsp.md and docs/protocol-ps-ssp.md.
 */
public final class ParameterShard {

    /** The sharded entity type; entity ids come from {@link #entityId(String, int)}. */
    public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "ParameterShard");

    /** Cluster role of nodes that host shards (see {@code flock.node.host-shards}). */
    public static final String ROLE = "shard";

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

    /**
     * The gradient slice of micro-batch {@code microBatch} of step {@code step}, with the CRC32C
     * of its elements taken by the sender right after computing it. A shard (and its backup)
     * recomputes it before accepting the push and drops a push whose bytes changed on the way;
     * the worker's re-push after a stalled pull sends it again.
     */
    public record Push(String jobId, long step, int microBatch, INDArray gradient, long checksum) implements Command {
        /** A push checksummed now, over the gradient as it is. */
        public Push(String jobId, long step, int microBatch, INDArray gradient) {
            this(jobId, step, microBatch, gradient, TensorChecksum.of(gradient));
        }

        /** True when the gradient still has the elements the sender checksummed. */
        public boolean intact() {
            return TensorChecksum.of(gradient) == checksum;
        }
    }

    /**
     * Asks for parameters, optimizer state and applied-step log at exactly {@code atVersion}: held
     * until the shard reaches it, so snapshots from all shards form one consistent state without
     * pausing training. A shard already past it answers with its current version (the asker
     * treats that as missed and asks again for a later version).
     */
    public record GetSnapshot(String jobId, long atVersion, ActorRef<Reply> replyTo) implements Command {}

    /**
     * Replaces the shard's state with a slice of a peer-to-peer replica (ring/tree → shards, at a
     * step boundary, or a copy at an epoch end or checkpoint while ring/tree trains). Carries the
     * replica's applied-step log. Answered with {@link Initialized} once a backup holds it too.
     */
    public record Seed(String jobId, int shardIndex, BspShardState.Exported state, OptimizerSpec optimizer,
            int microBatches, ActorRef<Reply> replyTo) implements Command {}

    /** Asks for the number of steps this shard has applied. */
    public record GetVersion(String jobId, ActorRef<Reply> replyTo) implements Command {}

    /** The job is over: drop the state and stop. */
    public record Release(String jobId) implements Command {}

    /**
     * Under ps-ssp / ps-asp: the parameters to compute clock {@code clock} on, answered (with the
     * current parameters) once every clock below {@code clock - s} is whole here and on the backup;
     * under ps-asp at once. {@code requestId} is echoed.
     */
    public record SspPull(String jobId, long clock, long requestId, ActorRef<Reply> replyTo) implements Command {}

    /**
     * Under ps-ssp / ps-asp: the gradient slice of micro-batch {@code microBatch} computed at
     * {@code clock}, applied on arrival (once per (clock, micro-batch)) and answered with
     * {@link SspAcked} once the backup holds it.
     */
    public record SspPush(String jobId, long clock, int microBatch, INDArray gradient, ActorRef<Reply> replyTo)
            implements Command {}

    /**
     * Under ps-ssp / ps-asp: the shard's progress (and, with {@code withParams}, its parameters)
     * once every clock below {@code atClock} is whole here and on the backup.
     */
    public record GetSspProgress(String jobId, long atClock, boolean withParams, ActorRef<Reply> replyTo)
            implements Command {}

    /**
     * Switch the update rule to {@code strategy} (ps-bsp, ps-ssp with bound {@code staleness},
     * ps-asp) at clock (= version) {@code atClock}. Takes effect once the shard is exactly there
     * with nothing in flight (BSP: no gradient of an unapplied step; SSP: every applied clock whole
     * and held by the backup), converting state, optimizer state and clock; the backup switches
     * too. Answered {@link StrategySwitched}, or {@link SwitchRefused} when the shard is already
     * past {@code atClock}. Between ps-ssp and ps-asp only the bound changes, at once.
     */
    public record SwitchStrategy(String jobId, Strategy strategy, int staleness, long atClock,
            ActorRef<Reply> replyTo) implements Command {}

    /**
     * What only backups and backup hosts send to a primary (docs/replication.md): its own protocol,
     * which workers and the coordinator never use. Backups hold the primary as an
     * {@code ActorRef<Replication>}.
     */
    public sealed interface Replication extends Command {

        /** From a {@link BackupHost}: the backup this primary asked for exists. */
        record BackupReady(String jobId, ActorRef<ShardBackup.Command> backup) implements Replication {}

        /** From the backup: it has applied every step below {@code version}. */
        record BackupAck(String jobId, long version) implements Replication {}

        /** From a backup handing its state to a re-created primary. */
        record BackupState(ShardImage image, ActorRef<ShardBackup.Command> backup) implements Replication {}

        /** From a {@link BackupHost} that holds no backup of {@code entityId}. */
        record NoBackup(String entityId, ActorRef<BackupHost.Command> host) implements Replication {}

        /** From the backup under ps-ssp / ps-asp: it applied every gradient up to number {@code seq}; {@code complete} is its clock. */
        record SspBackupAck(String jobId, long seq, long complete) implements Replication {}
    }

    /** Timer ticks and adapted answers of the shard's own helpers ({@link BackupLink}); never on the wire. */
    sealed interface Internal extends Command {}

    record HostsListed(Receptionist.Listing listing) implements Internal {}

    record BackupGone(ActorRef<ShardBackup.Command> backup) implements Internal {}

    record FindHostsAgain() implements Internal {}

    record BackupStalled(long version) implements Internal {}

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

    /** The shard's primary and backup are both gone: the job cannot go on (resume from a checkpoint). */
    public record Lost(String jobId, int shardIndex, String reason) implements Reply {}

    /** Answers {@link SspPull} {@code requestId}: the parameters to compute {@code clock} on. */
    public record SspPulled(String jobId, int shardIndex, long clock, long requestId, INDArray params)
            implements Reply {}

    /** The gradient of ({@code clock}, {@code microBatch}) is applied here and held by the backup. */
    public record SspAcked(String jobId, int shardIndex, long clock, int microBatch) implements Reply {}

    /**
     * A shard's ps-ssp / ps-asp progress: its state started at {@code firstClock}; clocks below
     * {@code complete} are whole; {@code appliedAbove} lists the (clock·M + m) keys applied at or
     * above it; {@code applied} distinct gradients, {@code acknowledged} pushes answered
     * (duplicates included); {@code recovered}: this primary adopted its backup's state.
     * {@code params} only when asked for.
     */
    public record SspProgress(String jobId, int shardIndex, long atClock, long firstClock, long complete,
            long[] appliedAbove, long applied, long acknowledged, long maxStaleness, boolean recovered,
            INDArray params) implements Reply {}

    /** The shard (and its backup) run {@code strategy} from clock {@code clock} on. */
    public record StrategySwitched(String jobId, int shardIndex, Strategy strategy, long clock) implements Reply {}

    /** A {@link SwitchStrategy} that cannot take effect. */
    public record SwitchRefused(String jobId, int shardIndex, String reason) implements Reply {}

    /** The behaviour of shard entity {@code entityId} (see {@link ShardPrimary}). */
    public static Behavior<Command> create(String entityId, ShardSettings settings) {
        return ShardPrimary.create(entityId, settings);
    }

    /** Registers the entity type on this node; call once per node at startup. */
    public static void initSharding(ActorSystem<?> system) {
        ShardSettings settings = ShardSettings.fromConfig(system.settings().config());
        ClusterSharding.get(system).init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId(), settings)).withRole(ROLE));
    }

    /** The entity id of shard {@code index} of job {@code jobId}. */
    public static String entityId(String jobId, int index) {
        return jobId + "-shard-" + index;
    }

    /** A reference to shard {@code index} of job {@code jobId}, wherever it lives. */
    public static EntityRef<Command> ref(ActorSystem<?> system, String jobId, int index) {
        return ClusterSharding.get(system).entityRefFor(TYPE_KEY, entityId(jobId, index));
    }
}
