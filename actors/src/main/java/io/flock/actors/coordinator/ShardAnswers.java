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

    /** A shard reply this child has no use for; the adapters for the ones it uses take precedence. */
    private record OtherReply(ParameterShard.Reply reply) implements Msg {}

    private record GotRefusal(ParameterShard.SwitchRefused reply) implements Msg {}

    /** An Initialized (Init, Seed) or a StrategySwitched: the shard did what was asked, at {@code version}. */
    private record GotDone(ParameterShard.Reply reply, long version) implements Msg {}

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
        // One adapter ref for all; Pekko picks the most recently registered class that matches.
        ActorRef<ParameterShard.Reply> self = ctx.messageAdapter(ParameterShard.Reply.class, OtherReply::new);
        ctx.messageAdapter(ParameterShard.SwitchRefused.class, GotRefusal::new);
        ctx.messageAdapter(ParameterShard.Initialized.class, r -> new GotDone(r, r.version()));
        ctx.messageAdapter(ParameterShard.StrategySwitched.class, r -> new GotDone(r, r.clock()));
        ask.accept(self);
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
        return newReceiveBuilder()
                .onMessage(GotDone.class, this::onDone)
                .onMessage(GotRefusal.class, this::onRefusal)
                .onMessage(OtherReply.class, other -> this)
                .build();
    }

    private boolean ours(ParameterShard.Reply r) {
        return jobId.equals(r.jobId()) && r.shardIndex() >= 0 && r.shardIndex() < answered.length;
    }

    private Behavior<Msg> onRefusal(GotRefusal msg) {
        ParameterShard.SwitchRefused refused = msg.reply();
        if (!ours(refused)) return this;
        replyTo.tell(new Coordinator.ShardsAnswered(jobId, ticket, -1, refused.shardIndex(), refused.reason()));
        return Behaviors.stopped();
    }

    private Behavior<Msg> onDone(GotDone msg) {
        ParameterShard.Reply r = msg.reply();
        long version = msg.version();
        if (!ours(r) || answered[r.shardIndex()]) return this;
        answered[r.shardIndex()] = true;
        if (--missing > 0) return this;
        replyTo.tell(new Coordinator.ShardsAnswered(jobId, ticket, version, -1, null));
        return Behaviors.stopped();
    }
}
