package io.flock.actors.worker;

import io.flock.actors.coordinator.Coordinator;
import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.shard.ParameterShard;
import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.model.GradientResult;
import io.flock.tensor.model.Model;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A worker's loop under ps-ssp / ps-asp: pull clock c from every shard (each answers once its
 * clock allows c), compute this worker's micro-batches of c, push them, and go straight on with
 * c + 1; the shards' gate, not the worker, bounds how far ahead it runs. A clock of this worker
 * counts as done when every shard acknowledged each of its gradients (held by the shard's
 * backup); only then is it reported to the coordinator, so a reported micro-batch is never lost.
 * Not an actor: the {@link Worker} owns one per job and routes shard replies and its timers here.
 */
final class SspStepper {

    /** This worker's gradients of one clock waiting for acknowledgements. */
    private static final class ClockAcks {
        final int[] microBatches;
        final double[] losses;
        final boolean[][] acked;
        final long computeNanos;
        int missing;

        ClockAcks(int[] microBatches, double[] losses, int shards, long computeNanos) {
            this.microBatches = microBatches;
            this.losses = losses;
            this.acked = new boolean[shards][microBatches.length];
            this.computeNanos = computeNanos;
            this.missing = shards * microBatches.length;
        }

        /** Records the ack of micro-batch m on shard s; true when that was the last one missing. */
        boolean ack(int shard, int m) {
            for (int i = 0; i < microBatches.length; i++) {
                if (microBatches[i] == m && !acked[shard][i]) {
                    acked[shard][i] = true;
                    return --missing == 0;
                }
            }
            return false;
        }
    }

    private static final Duration PULL_RETRY = Duration.ofSeconds(5);

    private final ActorContext<Worker.Command> context;
    private final TimerScheduler<Worker.Command> timers;
    private final Model model;
    private final Dataset train;
    private final BatchPlan plan;
    private final BatchPlan.Sampler sampler;
    private final EntityRef<ParameterShard.Command>[] shards;
    private final INDArray params;
    private final ActorRef<ParameterShard.Reply> replies;
    private final Supplier<Duration> stepDelay;
    private final Map<Long, ClockAcks> unacked = new HashMap<>();
    private Assignment assignment;
    private ActorRef<Coordinator.Command> coordinator;
    private int[] mine;
    private long clock;
    private long request;
    private boolean[] pulled;
    private int pullsMissing;
    private long pullStartNanos;
    /** Clocks at or above this are not begun (a strategy switch drains to a boundary). */
    private long stopAt = Long.MAX_VALUE;
    private boolean boundaryWanted;

    SspStepper(ActorContext<Worker.Command> context, TimerScheduler<Worker.Command> timers, Model model, Dataset train,
            BatchPlan plan, BatchPlan.Sampler sampler, EntityRef<ParameterShard.Command>[] shards, INDArray params,
            ActorRef<ParameterShard.Reply> replies, Supplier<Duration> stepDelay) {
        this.context = context;
        this.timers = timers;
        this.model = model;
        this.train = train;
        this.plan = plan;
        this.sampler = sampler;
        this.shards = shards;
        this.params = params;
        this.replies = replies;
        this.stepDelay = stepDelay;
    }

    /**
     * Starts (or, after a membership change, restarts) at {@code a.startStep()}: every clock below
     * it is whole on every shard. Gradients of this worker not acknowledged yet are recomputed by
     * whoever holds their micro-batches now; the shards drop those they already applied.
     */
    void start(Assignment a, ActorRef<Coordinator.Command> coordinator) {
        this.assignment = a;
        this.coordinator = coordinator;
        int count = Math.max(0, (plan.microBatches() - a.rank() + a.workers() - 1) / a.workers());
        mine = new int[count];
        for (int i = 0, m = a.rank(); i < count; i++, m += a.workers()) mine[i] = m;
        unacked.clear();
        stopAt = Long.MAX_VALUE;
        boundaryWanted = false;
        pull(a.startStep());
    }

    /** Begins no clock not begun yet; returns the first one not begun (for {@link Coordinator.Held}). */
    long hold() {
        stopAt = clock;
        return stopAt;
    }

    /**
     * Computes the clocks below {@code boundary}, then answers {@link Coordinator.AtBoundary} once
     * every shard acknowledged all of this worker's gradients: the shards are quiesced there.
     */
    void runTo(long boundary) {
        stopAt = boundary;
        boundaryWanted = true;
        if (clock < boundary && mine.length > 0) pull(clock); // a new request; older answers are dropped
        else checkBoundary();
    }

    private void checkBoundary() {
        if (!boundaryWanted || (clock < stopAt && mine.length > 0 && clock < assignment.totalSteps())
                || !unacked.isEmpty()) {
            return;
        }
        boundaryWanted = false;
        coordinator.tell(new Coordinator.AtBoundary(assignment.jobId(), assignment.epoch(), assignment.rank(), stopAt));
    }

    /** The next clock this worker will compute. */
    long clock() {
        return clock;
    }

    /** Takes the shard replies of ps-ssp / ps-asp; false for any other reply. */
    boolean onReply(ParameterShard.Reply reply) {
        if (reply instanceof ParameterShard.SspPulled p) {
            onPulled(p);
        } else if (reply instanceof ParameterShard.SspAcked a) {
            onAcked(a);
        } else {
            return false;
        }
        return true;
    }

    void onRetry(long requestId) {
        if (requestId != request || pulled == null || pullsMissing == 0) return;
        context.getLog().debug("{}: clock {} still gated by {} shard(s); asking again", context.getSelf().path().name(),
                clock, pullsMissing);
        sendPulls();
    }

    void onDelayElapsed(long requestId) {
        if (requestId != request || pulled == null || pullsMissing != 0) return;
        if (clock >= stopAt) checkBoundary(); // a Hold arrived during the delay: this clock is not begun
        else computeAndPush();
    }

    private void pull(long c) {
        clock = c;
        pulled = null;
        if (c >= assignment.totalSteps() || mine.length == 0 || c >= stopAt) {
            checkBoundary();
            return;
        }
        request++;
        pulled = new boolean[shards.length];
        pullsMissing = shards.length;
        pullStartNanos = System.nanoTime();
        sendPulls();
    }

    private void sendPulls() {
        for (int s = 0; s < shards.length; s++) {
            if (!pulled[s]) shards[s].tell(new ParameterShard.SspPull(assignment.jobId(), clock, request, replies));
        }
        timers.startSingleTimer(new Worker.SspRetryPulls(request), new Worker.SspRetryPulls(request), PULL_RETRY);
    }

    private void onPulled(ParameterShard.SspPulled p) {
        if (pulled == null || p.requestId() != request || p.clock() != clock || !p.jobId().equals(assignment.jobId())
                || pulled[p.shardIndex()]) {
            return;
        }
        long[] bounds = assignment.shardBounds();
        params.get(NDArrayIndex.interval(bounds[p.shardIndex()], bounds[p.shardIndex() + 1])).assign(p.params());
        pulled[p.shardIndex()] = true;
        if (--pullsMissing > 0) return;
        timers.cancel(new Worker.SspRetryPulls(request));
        FlockMetrics.get(context.getSystem()).metrics().recordSync(assignment.strategy(),
                (System.nanoTime() - pullStartNanos) / 1e9, params.length() * params.dataType().width());
        if (clock >= stopAt) { // held while pulling: this clock is not begun
            checkBoundary();
            return;
        }
        Duration delay = stepDelay.get();
        if (delay.isZero()) computeAndPush();
        else timers.startSingleTimer(new Worker.SspStepDelayElapsed(request), delay);
    }

    private void computeAndPush() {
        long[] bounds = assignment.shardBounds();
        long started = System.nanoTime();
        double[] losses = new double[mine.length];
        for (int i = 0; i < mine.length; i++) {
            GradientResult g = model.gradient(params, train.batch(sampler.indices(clock, mine[i])));
            for (int s = 0; s < shards.length; s++) {
                INDArray slice = g.gradient().get(NDArrayIndex.interval(bounds[s], bounds[s + 1]));
                shards[s].tell(new ParameterShard.SspPush(assignment.jobId(), clock, mine[i], slice, replies));
            }
            losses[i] = g.loss();
        }
        // The step delay counts as compute: it stands for a slower worker (what the auto policy must see).
        unacked.put(clock, new ClockAcks(mine.clone(), losses, shards.length,
                System.nanoTime() - started + stepDelay.get().toNanos()));
        pull(clock + 1);
    }

    private void onAcked(ParameterShard.SspAcked a) {
        ClockAcks acks = unacked.get(a.clock());
        if (acks == null || !a.jobId().equals(assignment.jobId()) || !acks.ack(a.shardIndex(), a.microBatch())) return;
        unacked.remove(a.clock());
        coordinator.tell(new Coordinator.StepDone(assignment.jobId(), assignment.epoch(), a.clock(), assignment.rank(),
                acks.microBatches, acks.losses, plan.microBatchSize(), acks.computeNanos));
        checkBoundary();
    }
}
