package io.flock.actors.worker;

import io.flock.actors.shard.ParameterShard;
import io.flock.tensor.model.GradientResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The ps-bsp loop: pull every shard's slice at version t, compute this rank's micro-batches of
 * step t (round robin), push each gradient slice to its shard, report the losses to the
 * coordinator, go on with t + 1. A step counts as begun once its gradients are pushed. When the
 * pulls stall, the last step's pushes go out again with them: a push lost with a broken
 * connection would otherwise stall the step forever (shards drop gradients they already hold).
 */
final class BspLoop implements StepLoop {

    private record SentPush(int shard, ParameterShard.Push push) {}

    private final LoopContext ctx;
    private final ShardPuller puller;
    private final Boundary boundary = new Boundary();
    /** The pushes of the last step computed, sent again if the next step's pulls stall. */
    private final List<SentPush> lastPushes = new ArrayList<>();
    private WorkerJob job;
    private Assignment assignment;
    private ActorRef<WorkerReport> coordinator;
    private long step;

    BspLoop(LoopContext ctx) {
        this.ctx = ctx;
        this.puller = new ShardPuller(ctx, ParameterShard.Pull::new);
    }

    @Override
    public void start(WorkerJob job, Assignment a, ActorRef<WorkerReport> coordinator, boolean newJob) {
        this.job = job;
        this.assignment = a;
        this.coordinator = coordinator;
        puller.bind(job, a);
        boundary.reset();
        startStep(a.startStep());
    }

    private void startStep(long t) {
        step = t;
        if (t >= assignment.totalSteps()) return;
        if (boundary.stops(t)) {
            reachedBoundary();
            return;
        }
        puller.begin(t);
    }

    @Override
    public void onPulled(ParameterShard.Pulled p) {
        if (!puller.awaits(p.shardIndex(), p.requestId())) return;
        if (p.version() != step) {
            // Shards keep one version of history; an older step was completed without us (our
            // micro-batches were reassigned), so every shard holds at least version - 1: resume there.
            startStep(Math.max(step + 1, p.version() - 1));
            return;
        }
        if (!puller.fill(p.shardIndex(), p.params())) return;
        if (boundary.stops(step)) { // a Hold arrived while pulling: this step is not begun
            reachedBoundary();
            return;
        }
        puller.recordSync();
        if (delayStep()) return;
        computeAndPush();
        startStep(step + 1);
    }

    @Override
    public void onPullRetry(long request) {
        // A round left open by a jump to a later step (onPulled) is not retried: it has served its purpose.
        if (!puller.retryDue(request) || puller.step() != step) return;
        ctx.log().warn("{}: shards slow to answer pulls for step {}; asking again", ctx.name(), step);
        puller.resend();
        // Artery delivers at most once: a push lost with a broken connection would stall the step
        // forever. Shards drop gradients they already hold, so sending last step's again is safe.
        for (SentPush sent : lastPushes) {
            if (sent.push().step() == step - 1 && puller.waitsFor(sent.shard())) job.shards()[sent.shard()].tell(sent.push());
        }
    }

    /** With a step delay set: computes the pulled step once it elapsed (returns true); else false. */
    private boolean delayStep() {
        Duration delay = ctx.stepDelay().get();
        if (delay.isZero()) return false;
        ctx.scheduler().delayStep(assignment.epoch(), puller.request(), delay);
        return true;
    }

    @Override
    public void onStepDelayElapsed(long epoch, long request) {
        if (!puller.completed(request)) return; // superseded: a new view, a RunTo re-pull, a release
        if (boundary.stops(step)) { // a Hold arrived during the delay: this step is not begun
            reachedBoundary();
            return;
        }
        computeAndPush();
        startStep(step + 1);
    }

    private void computeAndPush() {
        lastPushes.clear();
        long[] bounds = assignment.shardBounds();
        long started = ctx.now();
        int[] mine = MicroBatchRule.ROUND_ROBIN.microBatches(assignment.rank(), assignment.workers(),
                job.plan().microBatches());
        double[] losses = new double[mine.length];
        for (int i = 0; i < mine.length; i++) {
            GradientResult g = job.model().gradient(job.params(), job.train().batch(job.sampler().indices(step, mine[i])));
            for (int s = 0; s < job.shards().length; s++) {
                // A view, not a copy: nobody writes the gradient after this point; a local shard
                // reads it in place and the wire serializer copies views it sends.
                INDArray slice = g.gradient().get(NDArrayIndex.interval(bounds[s], bounds[s + 1]));
                ParameterShard.Push push = new ParameterShard.Push(assignment.jobId(), step, mine[i], slice);
                job.shards()[s].tell(push);
                lastPushes.add(new SentPush(s, push));
            }
            losses[i] = g.loss();
        }
        // The step delay counts as compute: it stands for a slower worker (what the auto policy must see).
        coordinator.tell(new WorkerReport.StepDone(assignment.jobId(), assignment.epoch(), step, assignment.rank(),
                mine, losses, job.plan().microBatchSize(), ctx.now() - started + ctx.stepDelay().get().toNanos()));
    }

    @Override
    public long hold() {
        return boundary.hold(step);
    }

    @Override
    public void runTo(long to) {
        boundary.runTo(to);
        if (step >= to || step >= assignment.totalSteps()) reachedBoundary();
        else startStep(step); // pulls again with a new request id; older answers are dropped
    }

    private void reachedBoundary() {
        if (!boundary.claimReport(true)) return;
        coordinator.tell(new WorkerReport.AtBoundary(assignment.jobId(), assignment.epoch(), assignment.rank(), step));
    }

    @Override
    public void prepare() {
        puller.cancel();
        boundary.stopSilentlyAt(step);
    }

    @Override
    public void stop() {
        puller.cancel();
    }

    @Override
    public void release() {
        puller.release();
        lastPushes.clear();
        job = null;
        assignment = null;
    }

    @Override
    public long step() {
        return step;
    }
}
