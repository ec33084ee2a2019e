package io.flock.actors.worker;

import io.flock.actors.shard.ParameterShard;
import io.flock.tensor.model.GradientResult;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The ps-ssp / ps-asp loop: pull clock c from every shard (each answers once its clock allows c),
 * compute this worker's micro-batches of c (round robin), push them, and go straight on with
 * c + 1; the shards' gate, not the worker, bounds how far ahead it runs. A clock of this worker
 * counts as done when every shard acknowledged each of its gradients (held by the shard's
 * backup); only then is it reported to the coordinator, so a reported micro-batch is never lost.
 */
final class SspLoop implements StepLoop {

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

    private final LoopContext ctx;
    private final ShardPuller puller;
    /** Clocks at or above the boundary are not begun (a strategy switch drains to it). */
    private final Boundary boundary = new Boundary();
    private final Map<Long, ClockAcks> unacked = new HashMap<>();
    private WorkerJob job;
    private Assignment assignment;
    private ActorRef<WorkerReport> coordinator;
    private int[] mine = new int[0];
    private long clock;

    SspLoop(LoopContext ctx) {
        this.ctx = ctx;
        this.puller = new ShardPuller(ctx, ParameterShard.SspPull::new);
    }

    /**
     * Starts (or, after a membership change, restarts) at {@code a.startStep()}: every clock below
     * it is whole on every shard. Gradients of this worker not acknowledged yet are recomputed by
     * whoever holds their micro-batches now; the shards drop those they already applied.
     */
    @Override
    public void start(WorkerJob job, Assignment a, ActorRef<WorkerReport> coordinator, boolean newJob) {
        this.job = job;
        this.assignment = a;
        this.coordinator = coordinator;
        puller.bind(job, a);
        mine = MicroBatchRule.ROUND_ROBIN.microBatches(a.rank(), a.workers(), job.plan().microBatches());
        unacked.clear();
        boundary.reset();
        pull(a.startStep());
    }

    @Override
    public long hold() {
        return boundary.hold(clock);
    }

    /**
     * Computes the clocks below {@code to}, then answers {@link WorkerReport.AtBoundary} once
     * every shard acknowledged all of this worker's gradients: the shards are quiesced there.
     */
    @Override
    public void runTo(long to) {
        boundary.runTo(to);
        if (clock < to && mine.length > 0) pull(clock); // a new request; older answers are dropped
        else checkBoundary();
    }

    private void checkBoundary() {
        boolean drained = (boundary.stops(clock) || mine.length == 0 || clock >= assignment.totalSteps())
                && unacked.isEmpty();
        if (!boundary.claimReport(drained)) return;
        coordinator.tell(new WorkerReport.AtBoundary(assignment.jobId(), assignment.epoch(), assignment.rank(),
                boundary.stopAt()));
    }

    @Override
    public long step() {
        return clock;
    }

    @Override
    public void onPullRetry(long request) {
        if (!puller.retryDue(request)) return;
        ctx.log().debug("{}: clock {} still gated by {} shard(s); asking again", ctx.name(), clock, puller.missing());
        puller.resend();
    }

    @Override
    public void onStepDelayElapsed(long epoch, long request) {
        if (!puller.completed(request)) return;
        if (boundary.stops(clock)) checkBoundary(); // a Hold arrived during the delay: this clock is not begun
        else computeAndPush();
    }

    private void pull(long c) {
        clock = c;
        puller.cancel();
        if (c >= assignment.totalSteps() || mine.length == 0 || boundary.stops(c)) {
            checkBoundary();
            return;
        }
        puller.begin(c);
    }

    @Override
    public void onSspPulled(ParameterShard.SspPulled p) {
        if (!puller.awaits(p.shardIndex(), p.requestId()) || p.clock() != clock) return;
        if (!puller.fill(p.shardIndex(), p.params())) return;
        puller.recordSync();
        if (boundary.stops(clock)) { // held while pulling: this clock is not begun
            checkBoundary();
            return;
        }
        Duration delay = ctx.stepDelay().get();
        if (delay.isZero()) computeAndPush();
        else ctx.scheduler().delayStep(assignment.epoch(), puller.request(), delay);
    }

    private void computeAndPush() {
        long[] bounds = assignment.shardBounds();
        long started = ctx.now();
        double[] losses = new double[mine.length];
        for (int i = 0; i < mine.length; i++) {
            GradientResult g = job.model().gradient(job.params(), job.train().batch(job.sampler().indices(clock, mine[i])));
            for (int s = 0; s < job.shards().length; s++) {
                INDArray slice = g.gradient().get(NDArrayIndex.interval(bounds[s], bounds[s + 1]));
                job.shards()[s].tell(new ParameterShard.SspPush(assignment.jobId(), clock, mine[i], slice,
                        ctx.shardReplies()));
            }
            losses[i] = g.loss();
        }
        // The step delay counts as compute: it stands for a slower worker (what the auto policy must see).
        unacked.put(clock, new ClockAcks(mine.clone(), losses, job.shards().length,
                ctx.now() - started + ctx.stepDelay().get().toNanos()));
        pull(clock + 1);
    }

    @Override
    public void onSspAcked(ParameterShard.SspAcked a) {
        ClockAcks acks = unacked.get(a.clock());
        if (acks == null || !acks.ack(a.shardIndex(), a.microBatch())) return;
        unacked.remove(a.clock());
        coordinator.tell(new WorkerReport.StepDone(assignment.jobId(), assignment.epoch(), a.clock(), assignment.rank(),
                acks.microBatches, acks.losses, job.plan().microBatchSize(), acks.computeNanos));
        checkBoundary();
    }

    /** ps-ssp is never re-formed into a peer view directly: a switch drains it with RunTo first. */
    @Override
    public void prepare() {}

    @Override
    public void stop() {
        puller.cancel();
        unacked.clear();
    }

    @Override
    public void release() {
        stop();
        puller.release();
        job = null;
        assignment = null;
    }
}
