package io.flock.actors.coordinator;

import io.flock.actors.shard.ParameterShard;
import java.time.Duration;
import java.util.Arrays;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A short-lived child of the coordinator that asks every shard of a job for its version and
 * reports the lowest as {@link Coordinator.Resynced}: the first step not applied everywhere, where
 * the new view resumes. A GetVersion can be lost (sent through a shard region that has not yet
 * noticed that the shard's node was removed), so silent shards are asked again every
 * {@code flock.coordinator.resync-retry}; a lost shard ends it with its reason.
 */
final class Resync extends AbstractBehavior<Resync.Msg> {

    sealed interface Msg {}

    /** A shard reply this child has no use for; the adapters for the ones it uses take precedence. */
    private record OtherReply(ParameterShard.Reply reply) implements Msg {}

    private record GotVersion(ParameterShard.Version reply) implements Msg {}

    private record GotLost(ParameterShard.Lost reply) implements Msg {}

    private record Retry() implements Msg {}

    private final ActorContext<Msg> ctx;
    private final String jobId;
    private final long ticket;
    private final Duration retry;
    private final ActorRef<Coordinator.Command> replyTo;
    private final ActorRef<ParameterShard.Reply> self;
    private final long[] versions;

    private Resync(ActorContext<Msg> ctx, String jobId, long ticket, int shards, Duration retry,
            ActorRef<Coordinator.Command> replyTo) {
        super(ctx);
        this.ctx = ctx;
        this.jobId = jobId;
        this.ticket = ticket;
        this.retry = retry;
        this.replyTo = replyTo;
        // One adapter ref for all; Pekko picks the most recently registered class that matches.
        this.self = ctx.messageAdapter(ParameterShard.Reply.class, OtherReply::new);
        ctx.messageAdapter(ParameterShard.Version.class, GotVersion::new);
        ctx.messageAdapter(ParameterShard.Lost.class, GotLost::new);
        this.versions = new long[shards];
        Arrays.fill(versions, -1);
        askSilent();
    }

    static Behavior<Msg> create(String jobId, long ticket, int shards, Duration retry,
            ActorRef<Coordinator.Command> replyTo) {
        return Behaviors.setup(ctx -> new Resync(ctx, jobId, ticket, shards, retry, replyTo));
    }

    @Override
    public Receive<Msg> createReceive() {
        return newReceiveBuilder()
                .onMessage(GotVersion.class, this::onVersion)
                .onMessage(GotLost.class, this::onLost)
                .onMessage(OtherReply.class, other -> this)
                .onMessage(Retry.class, this::onRetry)
                .build();
    }

    private void askSilent() {
        for (int s = 0; s < versions.length; s++) {
            if (versions[s] >= 0) continue;
            ParameterShard.ref(ctx.getSystem(), jobId, s).tell(new ParameterShard.GetVersion(jobId, self));
        }
        ctx.scheduleOnce(retry, ctx.getSelf(), new Retry());
    }

    private Behavior<Msg> onRetry(Retry r) {
        ctx.getLog().debug("job {}: {} shard(s) have not told their version yet; asking again", jobId,
                Arrays.stream(versions).filter(v -> v < 0).count());
        askSilent();
        return this;
    }

    private Behavior<Msg> onLost(GotLost msg) {
        if (!jobId.equals(msg.reply().jobId())) return this;
        replyTo.tell(new Coordinator.Resynced(jobId, ticket, -1, msg.reply().reason()));
        return Behaviors.stopped();
    }

    private Behavior<Msg> onVersion(GotVersion msg) {
        ParameterShard.Version v = msg.reply();
        if (!jobId.equals(v.jobId()) || v.shardIndex() < 0 || v.shardIndex() >= versions.length
                || versions[v.shardIndex()] >= 0) {
            return this;
        }
        versions[v.shardIndex()] = v.version();
        if (Arrays.stream(versions).anyMatch(x -> x < 0)) return this;
        replyTo.tell(new Coordinator.Resynced(jobId, ticket, Arrays.stream(versions).min().orElse(0), null));
        return Behaviors.stopped();
    }
}
