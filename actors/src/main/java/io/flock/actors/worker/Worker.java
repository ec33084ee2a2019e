package io.flock.actors.worker;

import io.flock.strategies.Strategy;
import io.flock.actors.coordinator.Coordinator;
import io.flock.actors.coordinator.ShardGather;
import io.flock.actors.dataplane.CollectiveSession;
import io.flock.actors.dataplane.CollectiveSpec;
import io.flock.actors.dataplane.DataPlane;
import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.node.DatasetCache;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.wire.FlockMessage;
import io.flock.strategies.BspShardState;
import io.flock.strategies.MicroBatchBlocks;
import io.flock.strategies.Replica;
import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.model.GradientResult;
import io.flock.tensor.model.Model;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * losses to the coordinator, go on with t + 1. Under a collective strategy (ring, tree) it holds a
 * full {@link Replica}, computes its contiguous block of micro-batches, all-reduces the gradient
 * with its peers over the {@link DataPlane} and applies the mean itself; rank 0 copies the replica
 * into the shards at epoch ends, checkpoints and the last step. Under ps-ssp / ps-asp an
 * {@link SspStepper} runs the loop instead. Which micro-batches it computes follows from its rank
 * in the membership the coordinator sent; which samples they hold follows from the
 * {@link BatchPlan} alone. {@link SetStepDelay} slows every step down by a fixed time, under any
 * strategy (stragglers in tests and chaos runs).
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
    public record Assign(Assignment assignment, ActorRef<Coordinator.Command> coordinator) implements Command {}

    /** Asks what job this worker takes part in (a new coordinator rebuilding its state). */
    public record ReportAssignment(ActorRef<Coordinator.Command> replyTo) implements Command {}

    /** Leave the job (it ended or this worker is no longer part of it). */
    public record Release(String jobId) implements Command {}

    /**
     * Begin no step not already begun; answer {@link Coordinator.Held} with the first step this
     * worker has not begun. Valid for the current {@code epoch} only.
     */
    public record Hold(String jobId, long epoch) implements Command {}

    /** Run every step below {@code step}, then stop and answer {@link Coordinator.AtBoundary}. */
    public record RunTo(String jobId, long epoch, long step) implements Command {}

    /**
     * Before a collective view {@code epoch} is assigned: abort older collectives, stay idle, and
     * answer {@link Coordinator.MemberReady} with the data-plane address and the replica's version.
     */
    public record Prepare(String jobId, long epoch, long round, ActorRef<Coordinator.Command> replyTo)
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
    public record RecomputeLosses(String jobId, long step, int[] microBatches, ActorRef<Coordinator.Command> replyTo)
            implements Command {}

    /** Rank 0 under a collective strategy: copy the replica into the shards now; they answer {@code replyTo}. */
    public record SeedShards(String jobId, ActorRef<ParameterShard.Reply> replyTo) implements Command {}

    /** A link probe from the coordinator (auto strategy): answer with the payload's size only. */
    public record Echo(String jobId, INDArray payload, long sentNanos, ActorRef<Coordinator.Command> replyTo)
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

    private record StepDelayElapsed(long pullRequest) implements Command {}

    private record CollectiveDelayElapsed(long epoch, long step) implements Command {}

    /** {@link SspStepper}'s pull retry timer. */
    record SspRetryPulls(long request) implements Command {}

    /** {@link SspStepper}'s step delay timer. */
    record SspStepDelayElapsed(long request) implements Command {}

    private record WrappedShardReply(ParameterShard.Reply reply) implements Command {}

    private record RetryPulls(long step) implements Command {}

    private record CollectiveDone(CollectiveSession session, long step, INDArray mean, Throwable error)
            implements Command {}

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
    /** Steps at or above this are not begun (a switch is draining to a boundary). */
    private long stopAt = Long.MAX_VALUE;
    /** The coordinator asked to be told when the worker reaches {@link #stopAt}. */
    private boolean boundaryWanted;
    /** Collective strategies: the full parameters and optimizer state. */
    private Replica replica;
    /** Collective: the all-reduce of {@link #step} in flight, with the report to send once it is applied. */
    private CollectiveSession session;
    private Coordinator.StepDone pendingReport;
    /** PS-BSP: the pushes of the last step computed, sent again if the next step's pulls stall. */
    private record SentPush(int shard, ParameterShard.Push push) {}

    private final List<SentPush> lastPushes = new ArrayList<>();
    /** Collective: the view's peers, parsed from the assignment (null until first needed). */
    private List<InetSocketAddress> members;
    /** Collective: where the data plane writes each step's mean (see startCollectiveStep). */
    private INDArray meanBuffer;
    /** Collective, while assembling the replica from the shards. */
    private ShardGather gathering;
    private Duration stepDelay = Duration.ZERO;
    /** Collective: the (epoch, step) whose step delay has been served. */
    private long delayedEpoch = -1;
    private long delayedStep = -1;
    /** The loop under ps-ssp / ps-asp; null otherwise. */
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
                .onMessage(CollectiveDone.class, this::onCollectiveDone)
                .onMessage(Hold.class, this::onHold)
                .onMessage(RunTo.class, this::onRunTo)
                .onMessage(Prepare.class, this::onPrepare)
                .onMessage(GetReplica.class, this::onGetReplica)
                .onMessage(ReplicaCopy.class, this::onReplicaCopy)
                .onMessage(SeedShards.class, this::onSeedShards)
                .onMessage(RecomputeLosses.class, this::onRecomputeLosses)
                .onMessage(Echo.class, echo -> {
                    echo.replyTo().tell(new Coordinator.Echoed(echo.jobId(), echo.payload().length() * 4, echo.sentNanos()));
                    return this;
                })
                .onMessage(Release.class, this::onRelease)
                .onMessage(ReportAssignment.class, this::onReportAssignment)
                .onMessage(SetStepDelay.class, this::onSetStepDelay)
                .onMessage(StepDelayElapsed.class, this::onStepDelayElapsed)
                .onMessage(CollectiveDelayElapsed.class, this::onCollectiveDelayElapsed)
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
        stopAt = Long.MAX_VALUE;
        boundaryWanted = false;
        session = null;
        gathering = null;
        meanBuffer = null;
        members = null;
        if (newJob) {
            replica = null;
            try {
                loadJob(a);
            } catch (RuntimeException e) {
                context.getLog().warn("{}: cannot take part in job {}: {}", name, a.jobId(), e.getMessage());
                coordinator.tell(new Coordinator.WorkerFailed(a.jobId(), a.rank(), name + ": " + e.getMessage()));
                assignment = null;
                return this;
            }
        }
        context.getLog().info("{}: rank {} of {} in job {} from step {} ({})", name, a.rank(), a.workers(), a.jobId(),
                a.startStep(), a.strategy().id());
        if (startSsp(a, newJob)) return this;
        if (!a.strategy().collective()) {
            replica = null; // the shards own the state again
            startStep(a.startStep());
        } else if (replica != null && replica.version() == a.startStep()) {
            startCollectiveStep(a.startStep());
        } else {
            fetchReplica(a);
        }
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

    // ---- parameter server (BSP) ----

    private void startStep(long t) {
        step = t;
        if (t >= assignment.totalSteps()) return;
        if (t >= stopAt) {
            reachedBoundary();
            return;
        }
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
        if (assignment == null || !wrapped.reply().jobId().equals(assignment.jobId())) return this;
        if (ssp != null && ssp.onReply(wrapped.reply())) return this;
        if (wrapped.reply() instanceof ParameterShard.Lost lost) {
            coordinator.tell(new Coordinator.WorkerFailed(lost.jobId(), assignment.rank(), lost.reason()));
            return this;
        }
        if (wrapped.reply() instanceof ParameterShard.Snapshot snapshot) return onSnapshot(snapshot);
        if (!(wrapped.reply() instanceof ParameterShard.Pulled p) || pulled == null
                || p.requestId() != pullRequest || pulled[p.shardIndex()]) {
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
            pulled = null;
            if (step >= stopAt) { // a Hold arrived while pulling: this step is not begun
                reachedBoundary();
                return this;
            }
            FlockMetrics.get(context.getSystem()).metrics().recordSync(assignment.strategy(),
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
        // Artery delivers at most once: a push lost with a broken connection would stall the step
        // forever. Shards drop gradients they already hold, so sending last step's again is safe.
        for (int s = 0; s < lastPushes.size(); s++) {
            ParameterShard.Push p = lastPushes.get(s).push();
            if (p.step() == step - 1 && !pulled[lastPushes.get(s).shard()]) shards[lastPushes.get(s).shard()].tell(p);
        }
        timers.startSingleTimer(new RetryPulls(step), PULL_RETRY);
        return this;
    }

    private void computeAndPush() {
        lastPushes.clear();
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
                ParameterShard.Push push = new ParameterShard.Push(assignment.jobId(), step, m, slice);
                shards[s].tell(push);
                lastPushes.add(new SentPush(s, push));
            }
            mine[i] = m;
            losses[i] = g.loss();
        }
        // The step delay counts as compute: it stands for a slower worker (what the auto policy must see).
        coordinator.tell(new Coordinator.StepDone(assignment.jobId(), assignment.epoch(), step, assignment.rank(),
                mine, losses, plan.microBatchSize(), System.nanoTime() - started + stepDelay.toNanos()));
    }

    // ---- collective (ring, tree) ----

    /** Gets the replica at the assignment's start step: from a peer that holds it, or from the shards. */
    private void fetchReplica(Assignment a) {
        replica = null;
        step = a.startStep();
        if (a.replicaSource() != null) {
            a.replicaSource().tell(new GetReplica(a.jobId(), a.startStep(), context.getSelf()));
        } else {
            gathering = new ShardGather(a.shardBounds(), a.startStep());
            for (EntityRef<ParameterShard.Command> shard : shards) {
                shard.tell(new ParameterShard.GetSnapshot(a.jobId(), a.startStep(), shardReplies));
            }
        }
    }

    private Behavior<Command> onSnapshot(ParameterShard.Snapshot snapshot) {
        if (gathering == null || !gathering.accept(snapshot) || !gathering.complete()) return this;
        ShardGather g = gathering;
        gathering = null;
        String wrong = g.verifyAppliedSteps(-1);
        if (wrong != null) {
            coordinator.tell(new Coordinator.WorkerFailed(assignment.jobId(), assignment.rank(),
                    "shards disagree at version " + g.version() + ": " + wrong));
            return this;
        }
        replica = new Replica(g.params(), g.optimizerState(), null, assignment.job().optimizer(), g.version(),
                g.appliedSteps());
        startCollectiveStep(g.version());
        return this;
    }

    private Behavior<Command> onGetReplica(GetReplica ask) {
        if (replica == null || assignment == null || !ask.jobId().equals(assignment.jobId())
                || replica.version() != ask.version()) {
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
        if (assignment == null || !assignment.strategy().collective() || !copy.jobId().equals(assignment.jobId())
                || copy.version() != assignment.startStep() || replica != null) {
            return this;
        }
        if (copy.error() != null) {
            coordinator.tell(new Coordinator.CollectiveFailed(assignment.jobId(), assignment.epoch(),
                    assignment.startStep(), assignment.rank(), "no replica to start from: " + copy.error()));
            return this;
        }
        replica = new Replica(copy.params(), copy.optimizerState(), copy.previous(), assignment.job().optimizer(),
                copy.version(), copy.appliedSteps());
        startCollectiveStep(copy.version());
        return this;
    }

    private void startCollectiveStep(long t) {
        step = t;
        if (assignment.rank() == 0 && t >= assignment.totalSteps()) {
            seed(shardReplies); // adopted after the last step: the final evaluation reads the shards
        }
        if (t >= assignment.totalSteps()) return;
        if (t >= stopAt) {
            reachedBoundary();
            return;
        }
        if (delayCollectiveStep(t)) return;
        Assignment a = assignment;
        MicroBatchBlocks blocks = new MicroBatchBlocks(a.workers(), plan.microBatches());
        long n = replica.params().length();
        // One result vector per view, reused every step (a fresh one costs about as much as moving
        // it); a new view gets a new one, so an aborted collective can never write into a live one.
        if (meanBuffer == null) meanBuffer = Nd4j.create(DataType.FLOAT, n);
        CollectiveSession s = DataPlane.get(context.getSystem()).open(new CollectiveSpec(a.jobId(), a.epoch(), t,
                a.strategy() == Strategy.TREE ? CollectiveSpec.Kind.TREE : CollectiveSpec.Kind.RING, members(a),
                a.rank(), n, plan.microBatches(), DataPlane.get(context.getSystem()).settings().chunkSizeFor(n)),
                meanBuffer);
        session = s;
        long started = System.nanoTime();
        int first = blocks.first(a.rank());
        int[] mine = new int[blocks.end(a.rank()) - first];
        double[] losses = new double[mine.length];
        for (int i = 0; i < mine.length; i++) {
            mine[i] = first + i;
            GradientResult g = model.gradient(replica.params(), train.batch(sampler.indices(t, mine[i])));
            s.contribute(mine[i], g.gradient());
            losses[i] = g.loss();
        }
        pendingReport = new Coordinator.StepDone(a.jobId(), a.epoch(), t, a.rank(), mine, losses,
                plan.microBatchSize(), System.nanoTime() - started + stepDelay.toNanos());
        context.pipeToSelf(s.result(), (mean, error) -> new CollectiveDone(s, t, mean, error));
    }

    private Behavior<Command> onCollectiveDone(CollectiveDone done) {
        if (done.session() != session || assignment == null) return this; // aborted or superseded
        session = null;
        if (done.error() != null) {
            Throwable cause = done.error() instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                    ? c.getCause() : done.error();
            context.getLog().warn("{}: all-reduce of step {} failed: {}", name, done.step(), cause.getMessage());
            coordinator.tell(new Coordinator.CollectiveFailed(assignment.jobId(), assignment.epoch(), done.step(),
                    assignment.rank(), cause.getMessage()));
            return this;
        }
        replica.apply(done.step(), done.mean());
        FlockMetrics.get(context.getSystem()).metrics().recordSync(assignment.strategy(), done.session().seconds(),
                done.session().bytesSent());
        coordinator.tell(pendingReport);
        pendingReport = null;
        if (assignment.rank() == 0 && seedDue(replica.version())) seed(shardReplies);
        startCollectiveStep(done.step() + 1);
        return this;
    }

    /** Versions the shards must hold while a collective strategy trains: evaluations and checkpoints read them. */
    private boolean seedDue(long version) {
        long every = assignment.job().checkpointEvery();
        return version >= assignment.totalSteps() || plan.endsEpoch(version - 1) || (every > 0 && version % every == 0);
    }

    /** Copies the replica into the shards (their applied-step logs included). */
    private void seed(ActorRef<ParameterShard.Reply> replyTo) {
        List<BspShardState.Exported> parts = replica.toShards(assignment.shardBounds());
        for (int s = 0; s < shards.length; s++) {
            shards[s].tell(new ParameterShard.Seed(assignment.jobId(), s, parts.get(s), assignment.job().optimizer(),
                    assignment.job().microBatches(), replyTo));
        }
    }

    private Behavior<Command> onRecomputeLosses(RecomputeLosses ask) {
        if (assignment == null || replica == null || !ask.jobId().equals(assignment.jobId())
                || replica.version() != ask.step() + 1 || replica.previous() == null) {
            context.getLog().warn("{}: cannot recompute the losses of step {} (replica at {})", name, ask.step(),
                    replica == null ? "none" : replica.version());
            return this;
        }
        double[] losses = new double[ask.microBatches().length];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = model.gradient(replica.previous(), train.batch(sampler.indices(ask.step(), ask.microBatches()[i])))
                    .loss();
        }
        ask.replyTo().tell(new Coordinator.StepDone(ask.jobId(), assignment.epoch(), ask.step(), assignment.rank(),
                ask.microBatches(), losses, plan.microBatchSize(), 0));
        return this;
    }

    private Behavior<Command> onSeedShards(SeedShards ask) {
        if (assignment == null || !ask.jobId().equals(assignment.jobId()) || replica == null) {
            context.getLog().warn("{}: asked to seed the shards of {} without a replica", name, ask.jobId());
            return this;
        }
        seed(ask.replyTo());
        return this;
    }

    /** The view's data-plane addresses by rank, parsed once per assignment (not every step). */
    private List<InetSocketAddress> members(Assignment a) {
        if (members == null) {
            members = new ArrayList<>();
            for (String peer : a.peers()) members.add(parse(peer));
        }
        return members;
    }

    private static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    // ---- step boundaries ----

    private Behavior<Command> onHold(Hold hold) {
        if (!current(hold.jobId(), hold.epoch())) return this;
        if (ssp != null) {
            coordinator.tell(new Coordinator.Held(assignment.jobId(), assignment.epoch(), assignment.rank(), ssp.hold()));
            return this;
        }
        // Under PS a step is begun once its gradients are pushed; under a collective strategy once
        // it is contributed (the peers finish it with us).
        stopAt = session != null ? step + 1 : step;
        coordinator.tell(new Coordinator.Held(assignment.jobId(), assignment.epoch(), assignment.rank(), stopAt));
        return this;
    }

    private Behavior<Command> onRunTo(RunTo run) {
        if (!current(run.jobId(), run.epoch())) return this;
        if (ssp != null) {
            ssp.runTo(run.step());
            return this;
        }
        stopAt = run.step();
        boundaryWanted = true;
        if (session != null || gathering != null) return this; // the step in flight ends at the boundary or below
        if (step >= stopAt || step >= assignment.totalSteps()) reachedBoundary();
        else if (assignment.strategy().collective()) startCollectiveStep(step);
        else startStep(step); // pulls again with a new request id; older answers are dropped
        return this;
    }

    private void reachedBoundary() {
        if (!boundaryWanted) return;
        boundaryWanted = false;
        coordinator.tell(new Coordinator.AtBoundary(assignment.jobId(), assignment.epoch(), assignment.rank(), step));
    }

    private Behavior<Command> onPrepare(Prepare prepare) {
        if (assignment != null && prepare.jobId().equals(assignment.jobId())) {
            // Whatever the old view was doing stops here, so the version reported stays true.
            DataPlane.get(context.getSystem()).abortBefore(prepare.jobId(), prepare.epoch(), "the view is re-formed");
            session = null;
            meanBuffer = null;
            pendingReport = null;
            pulled = null;
            timers.cancel(new RetryPulls(step));
            stopAt = step;
            boundaryWanted = false;
        }
        long version = replica != null && assignment != null && prepare.jobId().equals(assignment.jobId())
                ? replica.version() : -1;
        prepare.replyTo().tell(new Coordinator.MemberReady(prepare.jobId(), prepare.round(), context.getSelf(),
                address(DataPlane.get(context.getSystem()).address()), version));
        return this;
    }

    private static String address(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    private boolean current(String jobId, long epoch) {
        return assignment != null && assignment.jobId().equals(jobId) && assignment.epoch() == epoch;
    }

    private Behavior<Command> onReportAssignment(ReportAssignment ask) {
        ask.replyTo().tell(new Coordinator.AssignmentReport(context.getSelf(), assignment, step));
        return this;
    }

    private Behavior<Command> onRelease(Release release) {
        if (assignment != null && release.jobId().equals(assignment.jobId())) {
            context.getLog().info("{}: leaving job {} at step {}", name, assignment.jobId(), step);
            timers.cancelAll();
            DataPlane.get(context.getSystem()).abortBefore(release.jobId(), Long.MAX_VALUE, "the job is over");
            assignment = null;
            model = null;
            train = null;
            params = null;
            pulled = null;
            replica = null;
            session = null;
            gathering = null;
            ssp = null;
            lastPushes.clear();
        }
        return this;
    }

    /** Under ps-ssp / ps-asp: (re)starts the {@link SspStepper} and returns true; false under ps-bsp. */
    private boolean startSsp(Assignment a, boolean newJob) {
        if (!a.strategy().appliesOnArrival()) {
            ssp = null;
            return false;
        }
        timers.cancel(new RetryPulls(step));
        pulled = null;
        replica = null; // the shards own the state
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
        if (assignment == null || ssp != null || assignment.strategy().collective() || pulled != null
                || pullsMissing != 0 || elapsed.pullRequest() != pullRequest) {
            return this; // superseded: a new view, a RunTo re-pull, a release
        }
        if (step >= stopAt) { // a Hold arrived during the delay: this step is not begun
            reachedBoundary();
            return this;
        }
        computeAndPush();
        startStep(step + 1);
        return this;
    }

    /** Collective: with a step delay set, waits it out before computing step {@code t} (returns true). */
    private boolean delayCollectiveStep(long t) {
        if (stepDelay.isZero() || (delayedEpoch == assignment.epoch() && delayedStep == t)) return false;
        timers.startSingleTimer(new CollectiveDelayElapsed(assignment.epoch(), t), stepDelay);
        return true;
    }

    private Behavior<Command> onCollectiveDelayElapsed(CollectiveDelayElapsed elapsed) {
        if (assignment == null || !assignment.strategy().collective() || assignment.epoch() != elapsed.epoch()
                || step != elapsed.step() || session != null || replica == null) {
            return this;
        }
        delayedEpoch = elapsed.epoch();
        delayedStep = elapsed.step();
        startCollectiveStep(elapsed.step());
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
