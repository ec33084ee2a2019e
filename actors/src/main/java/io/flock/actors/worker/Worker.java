package io.flock.actors.worker;

import io.flock.actors.coordinator.Coordinator;
import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.node.DatasetCache;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.wire.FlockMessage;
import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.model.GradientResult;
import io.flock.tensor.model.Model;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One training slot. Under parameter-server BSP it loops: pull every shard's slice at version t,
 * compute the gradients of its micro-batches of step t, push each slice to its shard, report the
 * losses to the coordinator, go on with t + 1. Which micro-batches it computes follows from its
 * rank in the membership the coordinator sent; which samples they hold follows from the
 * {@link BatchPlan} alone. Under ps-ssp / ps-asp an {@link SspStepper} runs the loop instead.
 * {@link SetStepDelay} slows every step down by a fixed time (stragglers in tests and chaos runs).
 */
public final class Worker extends AbstractBehavior<Worker.Command> {

    /** Workers register under this key; the coordinator discovers them through the receptionist. */
    public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "flock-worker");

    /** Messages a worker accepts. */
    public sealed interface Command extends FlockMessage {}

    /**
     * Join job {@code assignment.jobId()} from step {@code startStep} with the given rank.
     * Every membership change sends a new Assign with a higher {@code epoch}.
     */
    public record Assign(Assignment assignment, ActorRef<Coordinator.Command> coordinator) implements Command {}

    /** Asks what job this worker takes part in (a new coordinator rebuilding its state). */
    public record ReportAssignment(ActorRef<Coordinator.Command> replyTo) implements Command {}

    /** Leave the job (it ended or this worker is no longer part of it). */
    public record Release(String jobId) implements Command {}

    /**
     * Wait {@code delay} after the parameters of each step arrived before computing it, from the
     * next step on, under every strategy: a straggler on demand (tests, chaos runs, the auto
     * policy's experiments). {@link Duration#ZERO} removes it.
     */
    public record SetStepDelay(Duration delay) implements Command {
        public SetStepDelay {
            if (delay == null || delay.isNegative()) throw new IllegalArgumentException("step delay must be >= 0: " + delay);
        }
    }

    private record StepDelayElapsed(long pullRequest) implements Command {}

    /** {@link SspStepper}'s pull retry timer. */
    record SspRetryPulls(long request) implements Command {}

    /** {@link SspStepper}'s step delay timer. */
    record SspStepDelayElapsed(long request) implements Command {}

    private record WrappedShardReply(ParameterShard.Reply reply) implements Command {}

    private record RetryPulls(long step) implements Command {}

    private static final Duration PULL_RETRY = Duration.ofSeconds(5);

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final DatasetCache datasets;
    private final String name;
    private final ActorRef<ParameterShard.Reply> shardReplies;

    private Assignment assignment;
    private ActorRef<Coordinator.Command> coordinator;
    private EntityRef<ParameterShard.Command>[] shards;
    private Model model;
    private Dataset train;
    private BatchPlan plan;
    private BatchPlan.Sampler sampler;
    private INDArray params;
    private long step;
    private boolean[] pulled;
    private int pullsMissing;
    private long pullRequest;
    private long pullStartNanos;
    private Duration stepDelay = Duration.ZERO;
    /** The loop under ps-ssp / ps-asp; null under ps-bsp. */
    private SspStepper ssp;

    private Worker(ActorContext<Command> context, TimerScheduler<Command> timers, DatasetCache datasets) {
        super(context);
        this.context = context;
        this.timers = timers;
        this.datasets = datasets;
        this.name = context.getSelf().path().name();
        this.shardReplies = context.messageAdapter(ParameterShard.Reply.class, WrappedShardReply::new);
        context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
    }

    public static Behavior<Command> create(DatasetCache datasets) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Worker(ctx, timers, datasets)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Assign.class, this::onAssign)
                .onMessage(WrappedShardReply.class, this::onShardReply)
                .onMessage(RetryPulls.class, this::onRetryPulls)
                .onMessage(Release.class, this::onRelease)
                .onMessage(ReportAssignment.class, this::onReportAssignment)
                .onMessage(SetStepDelay.class, this::onSetStepDelay)
                .onMessage(StepDelayElapsed.class, this::onStepDelayElapsed)
                .onMessage(SspRetryPulls.class, this::onSspRetryPulls)
                .onMessage(SspStepDelayElapsed.class, this::onSspStepDelayElapsed)
                .build();
    }

    private Behavior<Command> onAssign(Assign assign) {
        Assignment a = assign.assignment();
        if (assignment != null && a.jobId().equals(assignment.jobId()) && a.epoch() <= assignment.epoch()) {
            return this; // stale or repeated membership view
        }
        boolean newJob = assignment == null || !a.jobId().equals(assignment.jobId());
        assignment = a;
        coordinator = assign.coordinator();
        if (newJob) {
            try {
                loadJob(a);
            } catch (RuntimeException e) {
                context.getLog().warn("{}: cannot take part in job {}: {}", name, a.jobId(), e.getMessage());
                coordinator.tell(new Coordinator.WorkerFailed(a.jobId(), a.rank(), name + ": " + e.getMessage()));
                assignment = null;
                return this;
            }
        }
        context.getLog().info("{}: rank {} of {} in job {} from step {}", name, a.rank(), a.workers(), a.jobId(),
                a.startStep());
        if (startSsp(a, newJob)) return this;
        startStep(a.startStep());
        return this;
    }

    @SuppressWarnings("unchecked")
    private void loadJob(Assignment a) {
        train = datasets.train(a.job().dataset());
        model = a.job().model().build();
        plan = new BatchPlan(a.job().seed(), train.size(), a.job().globalBatch(), a.job().microBatches());
        sampler = plan.sampler();
        params = Nd4j.zeros(DataType.FLOAT, model.numParams());
        shards = new EntityRef[a.shardBounds().length - 1];
        for (int s = 0; s < shards.length; s++) {
            shards[s] = ParameterShard.ref(context.getSystem(), a.jobId(), s);
        }
    }

    private void startStep(long t) {
        step = t;
        if (t >= assignment.totalSteps()) return;
        pulled = new boolean[shards.length];
        pullsMissing = shards.length;
        pullRequest++;
        pullStartNanos = System.nanoTime();
        for (EntityRef<ParameterShard.Command> shard : shards) {
            shard.tell(new ParameterShard.Pull(assignment.jobId(), t, pullRequest, shardReplies));
        }
        timers.startSingleTimer(new RetryPulls(t), PULL_RETRY);
    }

    private Behavior<Command> onShardReply(WrappedShardReply wrapped) {
        if (ssp != null && ssp.onReply(wrapped.reply())) return this;
        if (wrapped.reply() instanceof ParameterShard.Lost lost && assignment != null
                && lost.jobId().equals(assignment.jobId())) {
            coordinator.tell(new Coordinator.WorkerFailed(lost.jobId(), assignment.rank(), lost.reason()));
            return this;
        }
        if (!(wrapped.reply() instanceof ParameterShard.Pulled p) || assignment == null || pulled == null
                || p.requestId() != pullRequest || !p.jobId().equals(assignment.jobId()) || pulled[p.shardIndex()]) {
            return this;
        }
        if (p.version() != step) {
            // Shards keep one version of history; an older step was completed without us (our
            // micro-batches were reassigned), so every shard holds at least version - 1: resume there.
            startStep(Math.max(step + 1, p.version() - 1));
            return this;
        }
        long[] bounds = assignment.shardBounds();
        params.get(NDArrayIndex.interval(bounds[p.shardIndex()], bounds[p.shardIndex() + 1])).assign(p.params());
        pulled[p.shardIndex()] = true;
        if (--pullsMissing == 0) {
            timers.cancel(new RetryPulls(step));
            FlockMetrics.get(context.getSystem()).metrics().recordSync(assignment.job().strategy(),
                    (System.nanoTime() - pullStartNanos) / 1e9, params.length() * params.dataType().width());
            if (delayStep()) return this;
            computeAndPush();
            startStep(step + 1);
        }
        return this;
    }

    private Behavior<Command> onRetryPulls(RetryPulls retry) {
        if (retry.step() != step || pulled == null) return this;
        context.getLog().warn("{}: shards slow to answer pulls for step {}; asking again", name, step);
        for (int s = 0; s < shards.length; s++) {
            if (!pulled[s]) shards[s].tell(new ParameterShard.Pull(assignment.jobId(), step, pullRequest, shardReplies));
        }
        timers.startSingleTimer(new RetryPulls(step), PULL_RETRY);
        return this;
    }

    private void computeAndPush() {
        long[] bounds = assignment.shardBounds();
        long started = System.nanoTime();
        int count = (plan.microBatches() - assignment.rank() + assignment.workers() - 1) / assignment.workers();
        int[] mine = new int[Math.max(0, count)];
        double[] losses = new double[mine.length];
        for (int i = 0, m = assignment.rank(); i < mine.length; i++, m += assignment.workers()) {
            GradientResult g = model.gradient(params, train.batch(sampler.indices(step, m)));
            for (int s = 0; s < shards.length; s++) {
                // A view, not a copy: nobody writes the gradient after this point; a local shard
                // reads it in place and the wire serializer copies views it sends.
                INDArray slice = g.gradient().get(NDArrayIndex.interval(bounds[s], bounds[s + 1]));
                shards[s].tell(new ParameterShard.Push(assignment.jobId(), step, m, slice));
            }
            mine[i] = m;
            losses[i] = g.loss();
        }
        coordinator.tell(new Coordinator.StepDone(assignment.jobId(), assignment.epoch(), step, assignment.rank(),
                mine, losses, plan.microBatchSize(), System.nanoTime() - started));
    }

    private Behavior<Command> onReportAssignment(ReportAssignment ask) {
        ask.replyTo().tell(new Coordinator.AssignmentReport(context.getSelf(), assignment, step));
        return this;
    }

    private Behavior<Command> onRelease(Release release) {
        if (assignment != null && release.jobId().equals(assignment.jobId())) {
            context.getLog().info("{}: leaving job {} at step {}", name, assignment.jobId(), step);
            timers.cancelAll();
            assignment = null;
            model = null;
            train = null;
            params = null;
            pulled = null;
            ssp = null;
        }
        return this;
    }

    /** Under ps-ssp / ps-asp: (re)starts the {@link SspStepper} and returns true; false under ps-bsp. */
    private boolean startSsp(Assignment a, boolean newJob) {
        if (!a.job().strategy().appliesOnArrival()) {
            ssp = null;
            return false;
        }
        timers.cancel(new RetryPulls(step));
        pulled = null;
        if (newJob || ssp == null) {
            ssp = new SspStepper(context, timers, model, train, plan, sampler, shards, params, shardReplies,
                    () -> stepDelay);
        }
        ssp.start(a, coordinator);
        return true;
    }

    private Behavior<Command> onSetStepDelay(SetStepDelay set) {
        context.getLog().info("{}: step delay {} ms", name, set.delay().toMillis());
        stepDelay = set.delay();
        return this;
    }

    /** With a step delay set: computes the pulled step once it elapsed (returns true); else false. */
    private boolean delayStep() {
        if (stepDelay.isZero()) return false;
        timers.startSingleTimer(new StepDelayElapsed(pullRequest), stepDelay);
        return true;
    }

    private Behavior<Command> onStepDelayElapsed(StepDelayElapsed elapsed) {
        if (assignment != null && ssp == null && pulled != null && pullsMissing == 0
                && elapsed.pullRequest() == pullRequest) {
            computeAndPush();
            startStep(step + 1);
        }
        return this;
    }

    private Behavior<Command> onSspRetryPulls(SspRetryPulls retry) {
        if (ssp != null) ssp.onRetry(retry.request());
        return this;
    }

    private Behavior<Command> onSspStepDelayElapsed(SspStepDelayElapsed elapsed) {
        if (ssp != null) ssp.onDelayElapsed(elapsed.request());
        return this;
    }
}
