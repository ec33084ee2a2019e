package io.flock.actors.coordinator;

import io.flock.actors.shard.ParameterShard;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A short-lived child of the coordinator that sends one request whose answers come from every
 * shard — initialising the shards, seeding them from rank 0's replica, switching their mode —
 * and reports {@link Coordinator.ShardsAnswered} once each shard confirmed ({@code Initialized}
 * or {@code StrategySwitched}), or at the first {@code SwitchRefused}. It has no timeout of its
 * own: a membership change makes the coordinator stop it, as before it existed.
 */
final class ShardAnswers extends AbstractBehavior<ShardAnswers.Msg> {

    sealed interface Msg {}

    private record FromShard(ParameterShard.Reply reply) implements Msg {}

    private final String jobId;
    private final long ticket;
    private final ActorRef<Coordinator.Command> replyTo;
    private final boolean[] answered;
    private int missing;

    private ShardAnswers(ActorContext<Msg> ctx, String jobId, long ticket, int shards,
            Consumer<ActorRef<ParameterShard.Reply>> ask, ActorRef<Coordinator.Command> replyTo) {
        super(ctx);
        this.jobId = jobId;
        this.ticket = ticket;
        this.replyTo = replyTo;
        this.answered = new boolean[shards];
        this.missing = shards;
        ask.accept(ctx.messageAdapter(ParameterShard.Reply.class, FromShard::new));
    }

    /**
     * @param ask sends the request, with the given reference as the shards' reply address
     */
    static Behavior<Msg> create(String jobId, long ticket, int shards, Consumer<ActorRef<ParameterShard.Reply>> ask,
            ActorRef<Coordinator.Command> replyTo) {
        return Behaviors.setup(ctx -> new ShardAnswers(ctx, jobId, ticket, shards, ask, replyTo));
    }

    @Override
    public Receive<Msg> createReceive() {
        return newReceiveBuilder().onMessage(FromShard.class, this::onShard).build();
    }

    private Behavior<Msg> onShard(FromShard msg) {
        ParameterShard.Reply r = msg.reply();
        if (!jobId.equals(r.jobId()) || r.shardIndex() < 0 || r.shardIndex() >= answered.length) return this;
        if (r instanceof ParameterShard.SwitchRefused refused) {
            replyTo.tell(new Coordinator.ShardsAnswered(jobId, ticket, -1, refused.shardIndex(), refused.reason()));
            return Behaviors.stopped();
        }
        long version = r instanceof ParameterShard.Initialized i ? i.version()
                : r instanceof ParameterShard.StrategySwitched s ? s.clock() : Long.MIN_VALUE;
        if (version == Long.MIN_VALUE || answered[r.shardIndex()]) return this;
        answered[r.shardIndex()] = true;
        if (--missing > 0) return this;
        replyTo.tell(new Coordinator.ShardsAnswered(jobId, ticket, version, -1, null));
        return Behaviors.stopped();
    }
}
