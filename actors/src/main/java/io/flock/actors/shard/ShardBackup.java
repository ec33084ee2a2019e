package io.flock.actors.shard;

import io.flock.strategies.Strategy;
import io.flock.actors.wire.FlockMessage;
import io.flock.strategies.BspShardState;
import io.flock.strategies.SspShardState;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The backup of one parameter shard, on a different node than its primary (chain replication
 * in the spirit of Li et al., "Scaling Distributed Machine Learning with the Parameter Server",
 * OSDI'14). The primary forwards every gradient it accepts; BSP steps are deterministic, so the
 * backup applies the same step to the same state and acknowledges each version. If the
 * primary's node dies, the re-created primary takes over this state. Under ps-ssp / ps-asp the
 * primary forwards each gradient it applied, numbered; the backup applies them in that order
 * (so it holds a prefix of the primary's history) and acknowledges each number, which is what
 * lets the primary acknowledge the gradient to its worker.
 */
public final class ShardBackup extends AbstractBehavior<ShardBackup.Command> {

    /** Messages a backup accepts. */
    public sealed interface Command extends FlockMessage {}

    /** A gradient the primary accepted. */
    public record Replicate(ParameterShard.Push push) implements Command {}

    /** Hand the state to a (re-created) primary, which from now on is the one acknowledged. */
    public record HandOver(ActorRef<ParameterShard.Replication> primary) implements Command {}

    /** The job ended or a newer backup replaced this one. */
    public record Stop() implements Command {}

    /** Under ps-ssp / ps-asp: gradient number {@code seq} the primary applied (numbers increase). */
    public record ReplicateSsp(long seq, long clock, int microBatch, INDArray gradient)
            implements Command {}

    /**
     * The primary switched its update rule at clock (= version) {@code atClock}: do the same. The
     * answer is an {@link ParameterShard.Replication.SspBackupAck} of {@code seq} (to ps-ssp / ps-asp) or a
     * {@link ParameterShard.Replication.BackupAck} (to ps-bsp).
     */
    public record SwitchTo(Strategy strategy, int staleness, long atClock, long seq)
            implements Command {}

    private final ShardImage image;
    private BspShardState state;
    private ActorRef<ParameterShard.Replication> primary;
    /** The live state under ps-ssp / ps-asp; null under ps-bsp. */
    private SspShardState ssp;
    private int staleness;

    private ShardBackup(ActorContext<Command> ctx, ShardImage image, ActorRef<ParameterShard.Replication> primary) {
        super(ctx);
        this.image = image;
        this.state = BspShardState.restore(image.state(), image.optimizer(), image.microBatches());
        this.primary = primary;
        if (image.ssp() != null) {
            this.ssp = SspShardState.restore(image.ssp().state(), image.optimizer(),
                    image.microBatches());
            this.staleness = image.ssp().staleness();
        }
    }

    static Behavior<Command> create(ShardImage image, ActorRef<ParameterShard.Replication> primary) {
        return Behaviors.setup(ctx -> new ShardBackup(ctx, image, primary));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Replicate.class, this::onReplicate)
                .onMessage(HandOver.class, this::onHandOver)
                .onMessage(ReplicateSsp.class, this::onReplicateSsp)
                .onMessage(SwitchTo.class, this::onSwitchTo)
                .onMessage(Stop.class, s -> Behaviors.stopped())
                .build();
    }

    private Behavior<Command> onReplicate(Replicate r) {
        ParameterShard.Push p = r.push();
        if (!p.intact()) {
            BspServing.refuseCorrupt(getContext(), "backup of shard " + image.shardIndex(), p);
            return this;
        }
        if (state.push(p.step(), p.microBatch(), p.gradient()) == BspShardState.Outcome.APPLIED) {
            primary.tell(new ParameterShard.Replication.BackupAck(image.jobId(), state.version()));
        }
        return this;
    }

    private Behavior<Command> onHandOver(HandOver h) {
        primary = h.primary();
        primary.tell(new ParameterShard.Replication.BackupState(image.withState(state.export())
                .withSsp(ssp == null ? null : new ShardImage.Ssp(staleness, ssp.export())), getContext().getSelf()));
        return this;
    }

    private Behavior<Command> onReplicateSsp(ReplicateSsp r) {
        if (ssp == null) {
            getContext().getLog().warn("backup of {}-{}: SSP gradient while in ps-bsp; dropped", image.jobId(),
                    image.shardIndex());
            return this;
        }
        ssp.push(r.clock(), r.microBatch(), r.gradient());
        primary.tell(new ParameterShard.Replication.SspBackupAck(image.jobId(), r.seq(), ssp.complete()));
        return this;
    }

    /** Same conversion as the primary's: the replicated history before it is applied already (in order). */
    private Behavior<Command> onSwitchTo(SwitchTo sw) {
        if (sw.strategy().appliesOnArrival()) {
            if (ssp == null) ssp = SspShardState.fromBsp(state.export(), image.optimizer(),
                    image.microBatches());
            staleness = sw.staleness();
            primary.tell(new ParameterShard.Replication.SspBackupAck(image.jobId(), sw.seq(), ssp.complete()));
        } else {
            if (ssp != null) state = BspShardState.restore(ssp.toBsp(), image.optimizer(), image.microBatches());
            ssp = null;
            primary.tell(new ParameterShard.Replication.BackupAck(image.jobId(), state.version()));
        }
        return this;
    }
}
