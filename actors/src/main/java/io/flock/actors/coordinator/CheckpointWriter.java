package io.flock.actors.coordinator;

import io.flock.actors.shard.ShardGather;
import io.flock.actors.checkpoint.Checkpoint;
import io.flock.actors.checkpoint.CheckpointException;
import io.flock.actors.checkpoint.CheckpointResult;
import io.flock.actors.checkpoint.CheckpointStore;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.worker.Assignment;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A short-lived child of the coordinator that writes one checkpoint: it asks every shard for a
 * snapshot at one version (each answers the moment it reaches it, so training never pauses),
 * assembles them and writes the file through {@link CheckpointStore}. A shard already past the
 * version makes it retarget to that shard's version. It waits as long as training takes to
 * reach the version; once the first shard answered, the others get {@code timeout}.
 */
final class CheckpointWriter extends AbstractBehavior<CheckpointWriter.Msg> {

    sealed interface Msg {}

    /** A shard reply this child has no use for; the adapters for the ones it uses take precedence. */
    private record OtherReply(ParameterShard.Reply reply) implements Msg {}

    private record GotSnapshot(ParameterShard.Snapshot reply) implements Msg {}

    private record Timeout() implements Msg {}

    private final ActorContext<Msg> ctx;
    private final Assignment layout;
    private final CheckpointStore store;
    private final ActorRef<Coordinator.Command> coordinator;
    private final ActorRef<CheckpointResult> requester;
    private final Duration timeout;
    private final ActorRef<ParameterShard.Reply> self;
    private final LongSupplier millis;
    private ShardGather gather;
    private long lead = 1;

    private CheckpointWriter(ActorContext<Msg> ctx, Assignment layout, long version, CheckpointStore store,
            ActorRef<Coordinator.Command> coordinator, ActorRef<CheckpointResult> requester, Duration timeout,
            LongSupplier millis) {
        super(ctx);
        this.millis = millis;
        this.ctx = ctx;
        this.layout = layout;
        this.store = store;
        this.coordinator = coordinator;
        this.requester = requester;
        this.timeout = timeout;
        // One adapter ref for all; Pekko picks the most recently registered class that matches.
        this.self = ctx.messageAdapter(ParameterShard.Reply.class, OtherReply::new);
        ctx.messageAdapter(ParameterShard.Snapshot.class, GotSnapshot::new);
        askAll(version);
    }

    /**
     * @param requester who asked (gets the result too), or null for a periodic checkpoint
     * @param millis    wall-clock time for the checkpoint's timestamp
     */
    static Behavior<Msg> create(Assignment layout, long version, CheckpointStore store,
            ActorRef<Coordinator.Command> coordinator, ActorRef<CheckpointResult> requester, Duration timeout,
            LongSupplier millis) {
        return Behaviors.setup(ctx -> new CheckpointWriter(ctx, layout, version, store, coordinator, requester, timeout,
                millis));
    }

    private void askAll(long version) {
        gather = new ShardGather(layout.shardBounds(), version);
        for (int s = 0; s < gather.shards(); s++) {
            ParameterShard.ref(ctx.getSystem(), layout.jobId(), s)
                    .tell(new ParameterShard.GetSnapshot(layout.jobId(), version, self));
        }
    }

    @Override
    public Receive<Msg> createReceive() {
        return newReceiveBuilder()
                .onMessage(GotSnapshot.class, this::onSnapshot)
                .onMessage(OtherReply.class, other -> this)
                .onMessage(Timeout.class, t -> done(null, gather.missing() + " shard(s) sent no snapshot at step "
                        + gather.version() + " within " + timeout.toSeconds() + " s"))
                .build();
    }

    private Behavior<Msg> onSnapshot(GotSnapshot msg) {
        ParameterShard.Snapshot snap = msg.reply();
        if (snap.version() > gather.version()) {
            // That shard moved on before our request arrived: aim ahead of it, further each time,
            // so the request reaches every shard before the version does (a fast job otherwise
            // outruns it forever and no checkpoint is ever written).
            askAll(Math.min(layout.totalSteps(), snap.version() + lead));
            lead *= 2;
            return this;
        }
        ctx.setReceiveTimeout(timeout, new Timeout());
        if (!gather.accept(snap) || !gather.complete()) return this;
        try {
            var file = store.write(new Checkpoint(layout.jobId(), gather.version(), layout.job(), layout.datasetSize(),
                    gather.params(), gather.optimizerState(), millis.getAsLong()));
            return done(file.toString(), null);
        } catch (CheckpointException e) {
            return done(null, e.getMessage());
        }
    }

    private Behavior<Msg> done(String path, String error) {
        CheckpointResult result = new CheckpointResult(layout.jobId(), gather.version(), path == null ? "" : path,
                error == null ? "" : error);
        coordinator.tell(new Coordinator.CheckpointFinished(result, requester));
        return Behaviors.stopped();
    }
}
