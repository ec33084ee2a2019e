package io.flock.actors.worker;

import io.flock.actors.dataplane.CollectiveSession;
import io.flock.actors.dataplane.DataPlane;
import io.flock.actors.metrics.FlockMetrics;
import io.flock.tensor.data.DatasetCache;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.wire.FlockMessage;
import io.flock.strategies.Replica;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One training slot: takes part in a job under the membership views the coordinator assigns.
 * The actor owns the assignment and the job's data ({@link WorkerJob}) and hands every step to
 * the loop of the strategy in force, picked by {@link StepLoops}: {@link BspLoop} (ps-bsp),
 * {@link SspLoop} (ps-ssp, ps-asp) or {@link CollectiveLoop} (ring, tree). Which micro-batches
 * a rank computes is {@link MicroBatchRule}'s; which samples they hold follows from the batch plan
 * alone. {@link SetStepDelay} slows every step down by a fixed time, under any strategy
 * (stragglers in tests and chaos runs).
 *
 * <p>Step boundaries for a strategy switch: {@link Hold} stops the worker before the next step it
 * has not begun and reports that step; {@link RunTo} lets it run up to an agreed step and report
 * when it is there. See docs/switching.md.
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
    public record Assign(Assignment assignment, ActorRef<WorkerReport> coordinator) implements Command {}

    /** Asks what job this worker takes part in (a new coordinator rebuilding its state). */
    public record ReportAssignment(ActorRef<WorkerReport> replyTo) implements Command {}

    /** Leave the job (it ended or this worker is no longer part of it). */
    public record Release(String jobId) implements Command {}

    /**
     * Begin no step not already begun; answer {@link WorkerReport.Held} with the first step this
     * worker has not begun. Valid for the current {@code epoch} only.
     */
    public record Hold(String jobId, long epoch) implements Command {}

    /** Run every step below {@code step}, then stop and answer {@link WorkerReport.AtBoundary}. */
    public record RunTo(String jobId, long epoch, long step) implements Command {}

    /**
     * Before a collective view {@code epoch} is assigned: abort older collectives, stay idle, and
     * answer {@link WorkerReport.MemberReady} with the data-plane address and the replica's version.
     */
    public record Prepare(String jobId, long epoch, long round, ActorRef<WorkerReport> replyTo)
            implements Command {}

    /** Another worker asks for a copy of this worker's replica at {@code version}. */
    public record GetReplica(String jobId, long version, ActorRef<Command> replyTo) implements Command {}

    /** A replica copy (answer to {@link GetReplica}); {@code error} non-null if the source could not give it. */
    public record ReplicaCopy(String jobId, long version, INDArray params, INDArray optimizerState,
            INDArray previous, long[] appliedSteps, String error) implements Command {}

    /**
     * Ring/tree, after a member died: report the losses of micro-batches {@code microBatches} of
     * {@code step}, the step this worker's replica applied last, computed on the parameters before
     * it (the dead member's report of them was lost).
     */
    public record RecomputeLosses(String jobId, long step, int[] microBatches, ActorRef<WorkerReport> replyTo)
            implements Command {}

    /** Rank 0 under a collective strategy: copy the replica into the shards now; they answer {@code replyTo}. */
    public record SeedShards(String jobId, ActorRef<ParameterShard.Reply> replyTo) implements Command {}

    /** A link probe from the coordinator (auto strategy): answer with the payload's size only. */
    public record Echo(String jobId, INDArray payload, long sentNanos, ActorRef<WorkerReport> replyTo)
            implements Command {}

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

    /** Shard replies: one adapter per kind the loops take, so the receive table shows them all. */
    private record ShardPulled(ParameterShard.Pulled reply) implements Command {}
    private record ShardSspPulled(ParameterShard.SspPulled reply) implements Command {}
    private record ShardSspAcked(ParameterShard.SspAcked reply) implements Command {}
    private record ShardSnapshot(ParameterShard.Snapshot reply) implements Command {}
    private record ShardLost(ParameterShard.Lost reply) implements Command {}

    /** Any other shard reply: a worker has no use for it. */
    private record OtherShardReply(ParameterShard.Reply reply) implements Command {}

    /** Timers and completions of the loop in force (see {@link LoopScheduler}). */
    private record PullRetryDue(long request) implements Command {}
    private record StepDelayElapsed(long epoch, long token) implements Command {}
    private record CollectiveDone(CollectiveSession session, long step, INDArray mean, Throwable error)
            implements Command {}

    private enum TimerKey { PULL_RETRY, STEP_DELAY }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final DatasetCache datasets;
    private final String name;
    private final StepLoops loops;

    private Assignment assignment;
    private ActorRef<WorkerReport> coordinator;
    private WorkerJob job;
    /** The loop of the strategy in force; null outside a job. */
    private StepLoop loop;
    private Duration stepDelay = Duration.ZERO;

    private Worker(ActorContext<Command> context, TimerScheduler<Command> timers, DatasetCache datasets,
            WorkerSettings settings, LongSupplier nanoClock) {
        super(context);
        this.context = context;
        this.timers = timers;
        this.datasets = datasets;
        this.name = context.getSelf().path().name();
        // Adapters are tried last registered first: the catch-all goes first.
        ActorRef<ParameterShard.Reply> shardReplies = context.messageAdapter(ParameterShard.Reply.class,
                OtherShardReply::new);
        context.messageAdapter(ParameterShard.Pulled.class, ShardPulled::new);
        context.messageAdapter(ParameterShard.SspPulled.class, ShardSspPulled::new);
        context.messageAdapter(ParameterShard.SspAcked.class, ShardSspAcked::new);
        context.messageAdapter(ParameterShard.Snapshot.class, ShardSnapshot::new);
        context.messageAdapter(ParameterShard.Lost.class, ShardLost::new);
        this.loops = new StepLoops(new LoopContext(name, context.getLog(), context.getSelf(), shardReplies,
                new Scheduler(), nanoClock, settings, () -> FlockMetrics.get(context.getSystem()).metrics(),
                () -> DataPlane.get(context.getSystem()), () -> stepDelay));
        context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
    }

    /** A worker with the node's {@code flock.worker} settings and the system clock. */
    public static Behavior<Command> create(DatasetCache datasets) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Worker(ctx, timers, datasets,
                WorkerSettings.fromConfig(ctx.getSystem().settings().config()), System::nanoTime)));
    }

    /** A worker with explicit settings and clock (tests). */
    public static Behavior<Command> create(DatasetCache datasets, WorkerSettings settings, LongSupplier nanoClock) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Worker(ctx, timers, datasets, settings,
                nanoClock)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Assign.class, this::onAssign)
                .onMessage(Hold.class, this::onHold)
                .onMessage(RunTo.class, this::onRunTo)
                .onMessage(Prepare.class, this::onPrepare)
                .onMessage(GetReplica.class, this::onGetReplica)
                .onMessage(ReplicaCopy.class, this::onReplicaCopy)
                .onMessage(SeedShards.class, this::onSeedShards)
                .onMessage(RecomputeLosses.class, this::onRecomputeLosses)
                .onMessage(Echo.class, this::onEcho)
                .onMessage(Release.class, this::onRelease)
                .onMessage(ReportAssignment.class, this::onReportAssignment)
                .onMessage(SetStepDelay.class, this::onSetStepDelay)
                .onMessage(ShardPulled.class, m -> toLoop(m.reply(), l -> l.onPulled(m.reply())))
                .onMessage(ShardSspPulled.class, m -> toLoop(m.reply(), l -> l.onSspPulled(m.reply())))
                .onMessage(ShardSspAcked.class, m -> toLoop(m.reply(), l -> l.onSspAcked(m.reply())))
                .onMessage(ShardSnapshot.class, m -> toLoop(m.reply(), l -> l.onSnapshot(m.reply())))
                .onMessage(ShardLost.class, this::onShardLost)
                .onMessage(OtherShardReply.class, m -> this)
                .onMessage(PullRetryDue.class, t -> toLoop(l -> l.onPullRetry(t.request())))
                .onMessage(StepDelayElapsed.class, t -> toLoop(l -> l.onStepDelayElapsed(t.epoch(), t.token())))
                .onMessage(CollectiveDone.class, d -> toLoop(l -> l.onCollectiveDone(d.session(), d.step(), d.mean(),
                        d.error())))
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
        if (newJob && !loadJob(a)) return this;
        context.getLog().info("{}: rank {} of {} in job {} from step {} ({})", name, a.rank(), a.workers(), a.jobId(),
                a.startStep(), a.strategy().id());
        StepLoop next = loops.forStrategy(a.strategy());
        if (loop != next) leaveLoop();
        loop = next;
        loop.start(job, a, coordinator, newJob);
        return this;
    }

    /** Loads the job's model and data; on failure tells the coordinator and leaves the job (false). */
    private boolean loadJob(Assignment a) {
        try {
            job = WorkerJob.load(a, datasets, context.getSystem());
            return true;
        } catch (RuntimeException e) {
            context.getLog().warn("{}: cannot take part in job {}: {}", name, a.jobId(), e.getMessage());
            coordinator.tell(new WorkerReport.WorkerFailed(a.jobId(), a.rank(), name + ": " + e.getMessage()));
            assignment = null;
            leaveLoop();
            return false;
        }
    }

    /** The loop in force gives way: what it held and its timers are dropped. */
    private void leaveLoop() {
        if (loop == null) return;
        loop.stop();
        timers.cancelAll();
        loop = null;
    }

    /** Hands a message to the loop in force, if any. */
    private Behavior<Command> toLoop(Consumer<StepLoop> delivery) {
        if (loop != null && assignment != null) delivery.accept(loop);
        return this;
    }

    /** Hands a shard reply of the current job to the loop in force. */
    private Behavior<Command> toLoop(ParameterShard.Reply reply, Consumer<StepLoop> delivery) {
        return forJob(reply.jobId()) ? toLoop(delivery) : this;
    }

    private Behavior<Command> onShardLost(ShardLost lost) {
        if (forJob(lost.reply().jobId())) {
            coordinator.tell(new WorkerReport.WorkerFailed(lost.reply().jobId(), assignment.rank(), lost.reply().reason()));
        }
        return this;
    }

    // ---- step boundaries ----

    private Behavior<Command> onHold(Hold hold) {
        if (!current(hold.jobId(), hold.epoch())) return this;
        coordinator.tell(new WorkerReport.Held(assignment.jobId(), assignment.epoch(), assignment.rank(), loop.hold()));
        return this;
    }

    private Behavior<Command> onRunTo(RunTo run) {
        if (current(run.jobId(), run.epoch())) loop.runTo(run.step());
        return this;
    }

    private Behavior<Command> onPrepare(Prepare prepare) {
        boolean mine = forJob(prepare.jobId());
        if (mine) {
            // Whatever the old view was doing stops here, so the version reported stays true.
            DataPlane.get(context.getSystem()).abortBefore(prepare.jobId(), prepare.epoch(), "the view is re-formed");
            loop.prepare();
        }
        Replica replica = mine ? loop.replica() : null;
        prepare.replyTo().tell(new WorkerReport.MemberReady(prepare.jobId(), prepare.round(), context.getSelf(),
                address(DataPlane.get(context.getSystem()).address()), replica != null ? replica.version() : -1));
        return this;
    }

    private static String address(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    private boolean forJob(String jobId) {
        return assignment != null && assignment.jobId().equals(jobId);
    }

    private boolean current(String jobId, long epoch) {
        return forJob(jobId) && assignment.epoch() == epoch;
    }

    // ---- the replica (collective strategies) ----

    private Replica replica() {
        return loop == null ? null : loop.replica();
    }

    private Behavior<Command> onGetReplica(GetReplica ask) {
        Replica replica = replica();
        if (replica == null || !forJob(ask.jobId()) || replica.version() != ask.version()) {
            String have = replica == null ? "no replica" : "version " + replica.version();
            ask.replyTo().tell(new ReplicaCopy(ask.jobId(), ask.version(), null, null, null, null,
                    name + " holds " + have + ", not version " + ask.version()));
        } else {
            ask.replyTo().tell(new ReplicaCopy(ask.jobId(), replica.version(), replica.params().dup(),
                    replica.optimizerState().dup(), replica.previous() == null ? null : replica.previous().dup(),
                    replica.appliedSteps(), null));
        }
        return this;
    }

    private Behavior<Command> onReplicaCopy(ReplicaCopy copy) {
        if (forJob(copy.jobId())) loop.onReplicaCopy(copy);
        return this;
    }

    private Behavior<Command> onRecomputeLosses(RecomputeLosses ask) {
        Replica replica = replica();
        if (!forJob(ask.jobId()) || replica == null || replica.version() != ask.step() + 1 || replica.previous() == null) {
            context.getLog().warn("{}: cannot recompute the losses of step {} (replica at {})", name, ask.step(),
                    replica == null ? "none" : replica.version());
            return this;
        }
        double[] losses = job.losses(replica.previous(), ask.step(), ask.microBatches());
        ask.replyTo().tell(new WorkerReport.StepDone(ask.jobId(), assignment.epoch(), ask.step(), assignment.rank(),
                ask.microBatches(), losses, job.plan().microBatchSize(), 0));
        return this;
    }

    private Behavior<Command> onSeedShards(SeedShards ask) {
        Replica replica = replica();
        if (!forJob(ask.jobId()) || replica == null) {
            context.getLog().warn("{}: asked to seed the shards of {} without a replica", name, ask.jobId());
            return this;
        }
        CollectiveLoop.seed(replica, assignment, job, ask.replyTo());
        return this;
    }

    private Behavior<Command> onEcho(Echo echo) {
        echo.replyTo().tell(new WorkerReport.Echoed(echo.jobId(), echo.payload().length() * 4, echo.sentNanos()));
        return this;
    }

    private Behavior<Command> onReportAssignment(ReportAssignment ask) {
        ask.replyTo().tell(new WorkerReport.AssignmentReport(context.getSelf(), assignment,
                loop == null ? 0 : loop.step()));
        return this;
    }

    private Behavior<Command> onRelease(Release release) {
        if (forJob(release.jobId())) {
            context.getLog().info("{}: leaving job {} at step {}", name, assignment.jobId(), loop.step());
            timers.cancelAll();
            DataPlane.get(context.getSystem()).abortBefore(release.jobId(), Long.MAX_VALUE, "the job is over");
            loops.releaseAll();
            loop = null;
            job = null;
            assignment = null;
        }
        return this;
    }

    private Behavior<Command> onSetStepDelay(SetStepDelay set) {
        context.getLog().info("{}: step delay {} ms", name, set.delay().toMillis());
        stepDelay = set.delay();
        return this;
    }

    /** The loops' timers and collective results, as this actor's private messages. */
    private final class Scheduler implements LoopScheduler {
        @Override
        public void retryPulls(long request, Duration after) {
            timers.startSingleTimer(TimerKey.PULL_RETRY, new PullRetryDue(request), after);
        }

        @Override
        public void cancelPullRetry() {
            timers.cancel(TimerKey.PULL_RETRY);
        }

        @Override
        public void delayStep(long epoch, long token, Duration after) {
            timers.startSingleTimer(TimerKey.STEP_DELAY, new StepDelayElapsed(epoch, token), after);
        }

        @Override
        public void whenDone(CollectiveSession session, long step) {
            context.pipeToSelf(session.result(), (mean, error) -> new CollectiveDone(session, step, mean, error));
        }
    }
}
