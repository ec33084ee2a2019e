package io.flock.actors.shard;

import io.flock.actors.wire.FlockMessage;
import io.flock.strategies.BspShardState;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The backup of one parameter shard, on a different node than its primary (chain replication
 * in the spirit of Li et al., "Scaling Distributed Machine Learning with the Parameter Server",
 * OSDI'14). The primary forwards every gradient it accepts; BSP steps are deterministic, so the
 * backup applies the same step to the same state and acknowledges each version. If the
 * primary's node dies, the re-created primary takes over this state.
 */
public final class ShardBackup extends AbstractBehavior<ShardBackup.Command> {

    /** Messages a backup accepts. */
    public sealed interface Command extends FlockMessage {}

    /** A gradient the primary accepted. */
    public record Replicate(ParameterShard.Push push) implements Command {}

    /** Hand the state to a (re-created) primary, which from now on is the one acknowledged. */
    public record HandOver(ActorRef<ParameterShard.Command> primary) implements Command {}

    /** The job ended or a newer backup replaced this one. */
    public record Stop() implements Command {}

    private final ShardImage image;
    private final BspShardState state;
    private ActorRef<ParameterShard.Command> primary;

    private ShardBackup(ActorContext<Command> ctx, ShardImage image, ActorRef<ParameterShard.Command> primary) {
        super(ctx);
        this.image = image;
        this.state = BspShardState.restore(image.state(), image.optimizer(), image.microBatches());
        this.primary = primary;
    }

    static Behavior<Command> create(ShardImage image, ActorRef<ParameterShard.Command> primary) {
        return Behaviors.setup(ctx -> new ShardBackup(ctx, image, primary));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Replicate.class, this::onReplicate)
                .onMessage(HandOver.class, this::onHandOver)
                .onMessage(Stop.class, s -> Behaviors.stopped())
                .build();
    }

    private Behavior<Command> onReplicate(Replicate r) {
        ParameterShard.Push p = r.push();
        if (state.push(p.step(), p.microBatch(), p.gradient()) == BspShardState.Outcome.APPLIED) {
            primary.tell(new ParameterShard.BackupAck(image.jobId(), state.version()));
        }
        return this;
    }

    private Behavior<Command> onHandOver(HandOver h) {
        primary = h.primary();
        primary.tell(new ParameterShard.BackupState(image.withState(state.export()), getContext().getSelf()));
        return this;
    }
}
