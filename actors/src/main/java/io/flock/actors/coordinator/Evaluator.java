package io.flock.actors.coordinator;

import io.flock.actors.shard.ShardGather;
import io.flock.tensor.data.DatasetCache;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.worker.Assignment;
import io.flock.tensor.data.Dataset;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A short-lived child of the coordinator: gathers the full parameter vector at one version from
 * all shards, measures test accuracy, reports {@link Coordinator.Evaluated} and stops. For the
 * job's final version it gathers snapshots instead and also checks every shard's applied-step
 * log (each step from the first once, in order); under ps-ssp / ps-asp it gathers progress reports
 * instead and checks that every shard applied each (clock, micro-batch) exactly once, with
 * staleness within the bound. Runs on the blocking dispatcher so the
 * coordinator never waits for the math; a receive timeout turns a silent shard into a failure
 * value, not a hang.
 */
final class Evaluator extends AbstractBehavior<Evaluator.Msg> {

    sealed interface Msg {}

    /** A shard reply this child has no use for; the adapters for the ones it uses take precedence. */
    private record OtherReply(ParameterShard.Reply reply) implements Msg {}

    private record GotSnapshot(ParameterShard.Snapshot reply) implements Msg {}

    private record GotProgress(ParameterShard.SspProgress reply) implements Msg {}

    private record GotPulled(ParameterShard.Pulled reply) implements Msg {}

    private record Timeout() implements Msg {}

    private final Assignment layout;
    private final long epoch;
    private final long firstVersion;
    private final boolean verifyLogs;
    private final DatasetCache datasets;
    private final ActorRef<Coordinator.Command> replyTo;
    private final Duration timeout;
    private final ShardGather gather;

    private Evaluator(ActorContext<Msg> ctx, Assignment layout, long version, long epoch, long firstVersion,
            boolean verifyLogs, DatasetCache datasets, ActorRef<Coordinator.Command> replyTo, Duration timeout) {
        super(ctx);
        this.layout = layout;
        this.epoch = epoch;
        this.firstVersion = firstVersion;
        this.verifyLogs = verifyLogs;
        this.datasets = datasets;
        this.replyTo = replyTo;
        this.timeout = timeout;
        this.gather = new ShardGather(layout.shardBounds(), version);
        // One adapter ref for all; Pekko picks the most recently registered class that matches.
        ActorRef<ParameterShard.Reply> self = ctx.messageAdapter(ParameterShard.Reply.class, OtherReply::new);
        ctx.messageAdapter(ParameterShard.Snapshot.class, GotSnapshot::new);
        ctx.messageAdapter(ParameterShard.SspProgress.class, GotProgress::new);
        ctx.messageAdapter(ParameterShard.Pulled.class, GotPulled::new);
        for (int s = 0; s < gather.shards(); s++) {
            ParameterShard.Command ask = Families.appliesOnArrival(layout.strategy())
                    ? new ParameterShard.GetSspProgress(layout.jobId(), version, true, self)
                    : verifyLogs
                    ? new ParameterShard.GetSnapshot(layout.jobId(), version, self)
                    : new ParameterShard.Pull(layout.jobId(), version, 0, self);
            ParameterShard.ref(ctx.getSystem(), layout.jobId(), s).tell(ask);
        }
        ctx.setReceiveTimeout(timeout, new Timeout());
    }

    /**
     * @param verifyLogs   true for the final version: gather snapshots and check applied-step logs
     * @param firstVersion the version the shards were initialised at (0, or a checkpoint's)
     */
    static Behavior<Msg> create(Assignment layout, long version, long epoch, long firstVersion, boolean verifyLogs,
            DatasetCache datasets, ActorRef<Coordinator.Command> replyTo, Duration timeout) {
        return Behaviors.setup(ctx -> new Evaluator(ctx, layout, version, epoch, firstVersion, verifyLogs, datasets,
                replyTo, timeout));
    }

    @Override
    public Receive<Msg> createReceive() {
        return newReceiveBuilder()
                .onMessage(GotSnapshot.class, m -> onShard(gather.accept(m.reply())))
                .onMessage(GotProgress.class, m -> onShard(gather.accept(m.reply())))
                .onMessage(GotPulled.class, m -> onShard(gather.accept(m.reply())))
                .onMessage(OtherReply.class, other -> this)
                .onMessage(Timeout.class, t -> fail(gather.missing() + " shard(s) did not answer within "
                        + timeout.toSeconds() + " s"))
                .build();
    }

    /** After a shard's answer; {@code taken}: the gather accepted it. */
    private Behavior<Msg> onShard(boolean taken) {
        if (!taken || !gather.complete()) return this;
        int bound = layout.strategy() == io.flock.strategies.Strategy.PS_ASP ? io.flock.strategies.SspClock.ASP
                : layout.job().staleness();
        String wrong = !verifyLogs ? null
                : Families.appliesOnArrival(layout.strategy())
                ? gather.verifySsp(firstVersion, layout.job().microBatches(), bound)
                : gather.verifyAppliedSteps(firstVersion);
        if (wrong != null) return fail(wrong);
        replyTo.tell(evaluate());
        return Behaviors.stopped();
    }

    private Coordinator.Evaluated evaluate() {
        try {
            Dataset test = datasets.test(layout.job().dataset());
            double accuracy = layout.job().model().build().accuracy(gather.params(), test.all());
            return new Coordinator.Evaluated(layout.jobId(), gather.version(), epoch, accuracy, gather.params(), null);
        } catch (RuntimeException e) {
            return new Coordinator.Evaluated(layout.jobId(), gather.version(), epoch, Double.NaN, gather.params(),
                    "evaluation failed: " + e.getMessage());
        }
    }

    private Behavior<Msg> fail(String reason) {
        replyTo.tell(new Coordinator.Evaluated(layout.jobId(), gather.version(), epoch, Double.NaN, null, reason));
        return Behaviors.stopped();
    }
}
