package io.flock.actors.coordinator;

import io.flock.actors.shard.ParameterShard;
import io.flock.actors.worker.Assignment;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A short-lived child of the coordinator that checks, after a membership change under ps-ssp /
 * ps-asp, that no acknowledged gradient was lost: every (clock, micro-batch) a worker reported
 * (workers report a clock only once every shard acknowledged it, and a shard acknowledges only
 * what its backup holds) must be applied in every shard's current state — after a shard primary's
 * crash, the state it recovered from its backup. Answers {@link Coordinator.SspAudited} and stops;
 * unanswered shards are asked again every {@code flock.coordinator.resync-retry}, and a shard still silent after the timeout turns
 * into an error value.
 */
final class SspAudit extends AbstractBehavior<SspAudit.Msg> {

    sealed interface Msg {}

    /** A shard reply this child has no use for; the adapters for the ones it uses take precedence. */
    private record OtherReply(ParameterShard.Reply reply) implements Msg {}

    private record GotProgress(ParameterShard.SspProgress reply) implements Msg {}


    /** Re-ask the shards that have not answered (a request can be lost while a shard moves). */
    private record Retry() implements Msg {}

    private final Assignment layout;
    private final long firstClock;
    private final long reportedBelow;
    private final Map<Long, boolean[]> reportedAbove;
    private final ActorRef<Coordinator.Command> replyTo;
    private final int microBatches;
    private final boolean[] answered;
    private final ActorRef<ParameterShard.Reply> self;
    private final Duration timeout;
    private final Duration retry;
    private final LongSupplier nanoTime;
    private final long deadline;
    private int missingShards;
    private long lost;
    private int recovered;
    private String firstLoss;

    private SspAudit(ActorContext<Msg> ctx, Assignment layout, long firstClock, long reportedBelow,
            Map<Long, boolean[]> reportedAbove, ActorRef<Coordinator.Command> replyTo, Duration timeout,
            Duration retry, LongSupplier nanoTime) {
        super(ctx);
        this.layout = layout;
        this.firstClock = Math.max(0, firstClock);
        this.reportedBelow = reportedBelow;
        this.reportedAbove = reportedAbove;
        this.replyTo = replyTo;
        this.microBatches = layout.job().microBatches();
        this.answered = new boolean[layout.shardBounds().length - 1];
        this.missingShards = answered.length;
        // One adapter ref for all; Pekko picks the most recently registered class that matches.
        this.self = ctx.messageAdapter(ParameterShard.Reply.class, OtherReply::new);
        ctx.messageAdapter(ParameterShard.SspProgress.class, GotProgress::new);
        this.timeout = timeout;
        this.retry = retry;
        this.nanoTime = nanoTime;
        this.deadline = nanoTime.getAsLong() + timeout.toNanos();
        ask();
    }

    private void ask() {
        for (int s = 0; s < answered.length; s++) {
            if (!answered[s]) {
                ParameterShard.ref(getContext().getSystem(), layout.jobId(), s)
                        .tell(new ParameterShard.GetSspProgress(layout.jobId(), 0, false, self));
            }
        }
        getContext().scheduleOnce(retry, getContext().getSelf(), new Retry());
    }

    private Behavior<Msg> onRetry() {
        if (nanoTime.getAsLong() > deadline) {
            return done(missingShards + " shard(s) did not report their progress within " + timeout.toSeconds() + " s");
        }
        ask();
        return this;
    }

    /**
     * @param layout        the job's current assignment (epoch, shard layout)
     * @param firstClock    the clock the job (re)started at in this run (-1: unknown, counted from 0)
     * @param reportedBelow every micro-batch of every clock below this was reported
     * @param reportedAbove for clocks from {@code reportedBelow} on, the micro-batches reported
     * @param retry         how often shards that have not answered are asked again
     */
    static Behavior<Msg> create(Assignment layout, long firstClock, long reportedBelow,
            Map<Long, boolean[]> reportedAbove, ActorRef<Coordinator.Command> replyTo, Duration timeout,
            Duration retry, LongSupplier nanoTime) {
        return Behaviors.setup(ctx -> new SspAudit(ctx, layout, firstClock, reportedBelow, reportedAbove, replyTo,
                timeout, retry, nanoTime));
    }

    @Override
    public Receive<Msg> createReceive() {
        return newReceiveBuilder()
                .onMessage(GotProgress.class, this::onProgress)
                .onMessage(OtherReply.class, other -> this)
                .onMessage(Retry.class, r -> onRetry())
                .build();
    }

    private Behavior<Msg> onProgress(GotProgress msg) {
        ParameterShard.SspProgress p = msg.reply();
        if (answered[p.shardIndex()]) return this;
        answered[p.shardIndex()] = true;
        if (p.recovered()) recovered++;
        check(p);
        return --missingShards == 0 ? done(null) : this;
    }

    /** Counts the reported gradients that shard {@code p} has not applied. */
    private void check(ParameterShard.SspProgress p) {
        long[] applied = p.appliedAbove(); // sorted ascending
        for (long c = p.complete(); c < reportedBelow; c++) {
            for (int m = 0; m < microBatches; m++) missing(p, applied, c, m);
        }
        reportedAbove.forEach((c, seen) -> {
            for (int m = 0; c >= p.complete() && m < seen.length; m++) {
                if (seen[m]) missing(p, applied, c, m);
            }
        });
    }

    private void missing(ParameterShard.SspProgress p, long[] applied, long clock, int m) {
        if (Arrays.binarySearch(applied, clock * microBatches + m) >= 0) return;
        lost++;
        if (firstLoss == null) {
            firstLoss = "shard " + p.shardIndex() + " has not applied acknowledged gradient (clock " + clock
                    + ", micro-batch " + m + "); its clocks below " + p.complete() + " are whole";
        }
    }

    private Behavior<Msg> done(String error) {
        long acknowledged = Math.max(0, reportedBelow - firstClock) * microBatches;
        for (boolean[] seen : reportedAbove.values()) for (boolean b : seen) if (b) acknowledged++;
        replyTo.tell(new Coordinator.SspAudited(layout.jobId(), layout.epoch(), acknowledged, lost, recovered,
                error != null ? error : firstLoss));
        return Behaviors.stopped();
    }
}
