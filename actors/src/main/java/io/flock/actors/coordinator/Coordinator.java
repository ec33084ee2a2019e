package io.flock.actors.coordinator;

import io.flock.actors.api.JobStatus;
import io.flock.strategies.Strategy;
import io.flock.actors.api.SwitchResult;
import io.flock.actors.api.TrainingEvent;
import io.flock.actors.api.TrainingJob;
import io.flock.actors.api.TrainingResult;
import io.flock.actors.checkpoint.Checkpoint;
import io.flock.actors.checkpoint.CheckpointResult;
import io.flock.actors.checkpoint.CheckpointStore;
import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.node.DatasetCache;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.wire.FlockMessage;
import io.flock.actors.worker.Assignment;
import io.flock.actors.worker.Worker;
import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.model.Model;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The cluster's coordinator, run as a Cluster Singleton: accepts jobs, seeds their parameter
 * shards, assigns ranks to the workers it discovers through the receptionist, turns worker
 * reports into progress events and has the final parameters evaluated. It is not in the
 * per-step data path: gradients and parameters flow between workers and shards directly.
 * One job trains at a time; later submissions queue.
 */
public final class Coordinator extends AbstractBehavior<Coordinator.Command> {

    /** Name of the singleton. */
    public static final String SINGLETON_NAME = "flock-coordinator";

    /** Messages the coordinator accepts. */
    public sealed interface Command extends FlockMessage {}

    /**
     * Run {@code job}, sending its {@link TrainingEvent}s to {@code client}. With {@code resume}
     * it starts from the job's newest valid checkpoint in {@code flock.checkpoint.dir}, if any.
     */
    public record Submit(TrainingJob job, ActorRef<TrainingEvent> client, boolean resume) implements Command {}

    /** Write a checkpoint of the running job {@code jobId} now (at the next step boundary). */
    public record CheckpointNow(String jobId, ActorRef<CheckpointResult> replyTo) implements Command {}

    /** From a {@link CheckpointWriter} child; {@code requester} is null for periodic checkpoints. */
    record CheckpointFinished(CheckpointResult result, ActorRef<CheckpointResult> requester) implements Command {}

    /**
     * A worker computed micro-batches {@code microBatches} of {@code step}, with these losses.
     * Reports are idempotent per (step, micro-batch): a replay after a reassignment is harmless.
     */
    public record StepDone(String jobId, long epoch, long step, int rank, int[] microBatches, double[] losses,
            int samplesPerMicroBatch, long computeNanos) implements Command {}

    /** Asks for the active job's progress. */
    public record GetStatus(ActorRef<JobStatus> replyTo) implements Command {}

    /** A worker cannot take part in the job, e.g. its node cannot load the dataset. */
    public record WorkerFailed(String jobId, int rank, String reason) implements Command {}

    /** A worker's answer to {@link Worker.ReportAssignment}: its job ({@code null} if idle) and step. */
    public record AssignmentReport(ActorRef<Worker.Command> worker, Assignment assignment, long step)
            implements Command {}

    /**
     * Switch job {@code jobId} to {@code strategy} at step {@code atStep}, or at the next step
     * boundary if that step is already begun (or {@code atStep} < 0), carrying parameters,
     * optimizer state and step over; answered once the first step under it is assigned.
     */
    public record SwitchStrategy(String jobId, Strategy strategy, long atStep, String reason,
            ActorRef<SwitchResult> replyTo) implements Command {}

    /** A worker's answer to {@link Worker.Hold}: it begins no step from {@code nextStep} on. */
    public record Held(String jobId, long epoch, int rank, long nextStep) implements Command {}

    /** A worker's answer to {@link Worker.RunTo}: it ran every step below {@code step} and stopped. */
    public record AtBoundary(String jobId, long epoch, int rank, long step) implements Command {}

    /**
     * A worker's answer to {@link Worker.Prepare}: its data-plane address and the version of the
     * replica it holds (-1: none).
     */
    public record MemberReady(String jobId, long round, ActorRef<Worker.Command> worker, String address,
            long replicaVersion) implements Command {}

    /** A collective (ring, tree) step could not finish on a worker, e.g. a peer's connection broke. */
    public record CollectiveFailed(String jobId, long epoch, long step, int rank, String reason) implements Command {}

    /** A worker's answer to a link probe ({@link Worker.Echo}) of {@code bytes} sent at {@code sentNanos}. */
    public record Echoed(String jobId, long bytes, long sentNanos) implements Command {}

    /** Periodic: has the active job committed a step lately? (see {@code flock.coordinator.stall-timeout}) */
    private record CheckProgress(String jobId) implements Command {}

    /** The outcome of a switch the auto policy asked for. */
    private record AutoSwitched(SwitchResult result) implements Command {}

    /** From an {@link Evaluator} child: accuracy at {@code version}, or an error. */
    record Evaluated(String jobId, long version, long epoch, double accuracy, INDArray params, String error)
            implements Command {}

    /**
     * From an {@link SspAudit} child: of {@code acknowledged} reported gradients, {@code missing}
     * are not applied on some shard; {@code error} explains a loss or an incomplete audit.
     */
    record SspAudited(String jobId, long epoch, long acknowledged, long missing, int recoveredShards, String error)
            implements Command {}

    /** The job's starting state: fresh parameters, or a checkpoint's ({@code restored} non-null). */
    private record Prepared(JobRun run, Dataset train, INDArray params, INDArray optimizerState, long version,
            CheckpointStore.Found restored, Throwable error) implements Command {

        static Prepared failed(JobRun run, Throwable error) {
            return new Prepared(run, null, null, null, 0, null, error);
        }
    }

    private record ShardReplied(ParameterShard.Reply reply) implements Command {}

    /** Re-ask the shards that have not told their version in re-sync round {@code round}. */
    private record ResyncRetry(String jobId, long round) implements Command {}

    /**
     * A GetVersion can be lost: sent through a shard region that has not yet noticed that the
     * shard's node was removed. Re-syncs re-ask unanswered shards this often.
     */
    private static final Duration RESYNC_RETRY = Duration.ofSeconds(2);

    private record WorkersChanged(Receptionist.Listing listing) implements Command {}

    private record MemberRemoved(ClusterEvent.MemberRemoved event) implements Command {}


    private final ActorContext<Command> context;
    private final DatasetCache datasets;
    private final Executor blocking;
    private final Duration evaluationTimeout;
    private final AutoStrategy.Settings autoSettings;
    private final Duration stallTimeout;
    private final Duration checkpointTimeout;
    private final CheckpointStore checkpoints;
    private final ActorRef<ParameterShard.Reply> shardReplies;
    private final Queue<JobRun> queued = new ArrayDeque<>();
    private List<ActorRef<Worker.Command>> available = List.of();
    private JobRun active;
    /** Until the first worker listing arrives and is asked, a job in flight may exist that we do not know. */
    private boolean recovered;

    private Coordinator(ActorContext<Command> context, DatasetCache datasets) {
        super(context);
        this.context = context;
        this.datasets = datasets;
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig("flock.blocking-dispatcher"));
        var config = context.getSystem().settings().config();
        this.evaluationTimeout = config.getDuration("flock.coordinator.evaluation-timeout");
        this.autoSettings = AutoStrategy.Settings.fromConfig(config);
        this.stallTimeout = AutoStrategy.stallTimeout(config);
        this.checkpointTimeout = config.getDuration("flock.checkpoint.timeout");
        this.checkpoints = new CheckpointStore(java.nio.file.Path.of(config.getString("flock.checkpoint.dir")),
                config.getInt("flock.checkpoint.keep"));
        this.shardReplies = context.messageAdapter(ParameterShard.Reply.class, ShardReplied::new);
        context.getSystem().receptionist().tell(Receptionist.subscribe(Worker.SERVICE_KEY,
                context.messageAdapter(Receptionist.Listing.class, WorkersChanged::new)));
        Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
                context.messageAdapter(ClusterEvent.MemberRemoved.class, MemberRemoved::new),
                ClusterEvent.MemberRemoved.class));
    }

    public static Behavior<Command> create(DatasetCache datasets) {
        return Behaviors.setup(ctx -> new Coordinator(ctx, datasets));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Submit.class, this::onSubmit)
                .onMessage(Prepared.class, this::onPrepared)
                .onMessage(ShardReplied.class, this::onShardReplied)
                .onMessage(WorkersChanged.class, this::onWorkersChanged)
                .onMessage(MemberRemoved.class, this::onMemberRemoved)
                .onMessage(StepDone.class, this::onStepDone)
                .onMessage(Evaluated.class, this::onEvaluated)
                .onMessage(SspAudited.class, this::onSspAudited)
                .onMessage(ResyncRetry.class, this::onResyncRetry)
                .onMessage(WorkerFailed.class, this::onWorkerFailed)
                .onMessage(AssignmentReport.class, this::onAssignmentReport)
                .onMessage(CheckpointNow.class, this::onCheckpointNow)
                .onMessage(CheckpointFinished.class, this::onCheckpointFinished)
                .onMessage(GetStatus.class, this::onGetStatus)
                .onMessage(SwitchStrategy.class, this::onSwitchStrategy)
                .onMessage(Held.class, this::onHeld)
                .onMessage(AtBoundary.class, this::onAtBoundary)
                .onMessage(MemberReady.class, this::onMemberReady)
                .onMessage(CollectiveFailed.class, this::onCollectiveFailed)
                .onMessage(Echoed.class, this::onEchoed)
                .onMessage(CheckProgress.class, this::onCheckProgress)
                .onMessage(AutoSwitched.class, this::onAutoSwitched)
                .build();
    }

    private Behavior<Command> onSubmit(Submit submit) {
        JobRun run = new JobRun(submit.job(), submit.client());
        if (submit.job().strategy() == Strategy.AUTO) run.auto = new AutoStrategy(autoSettings, run.strategy);
        run.resume = submit.resume();
        if (active != null) {
            context.getLog().info("job {} queued behind {}", run.id(), active.id());
            queued.add(run);
        } else {
            prepare(run);
        }
        return this;
    }

    /** Loads the dataset, builds the model and finds the checkpoint to resume from, off the actor thread. */
    private void prepare(JobRun run) {
        active = run;
        watchProgress(run);
        context.pipeToSelf(CompletableFuture.supplyAsync(() -> startingState(run), blocking),
                (prepared, error) -> prepared != null ? prepared : Prepared.failed(run, unwrap(error)));
    }

    private Prepared startingState(JobRun run) {
        TrainingJob job = run.job;
        Dataset train = datasets.train(job.dataset());
        if (train.inputs() != job.model().inputs() || train.classes() != job.model().classes()) {
            throw new IllegalArgumentException("dataset " + train.name() + " has " + train.inputs() + " inputs and "
                    + train.classes() + " classes but the model expects " + job.model().inputs() + " and "
                    + job.model().classes());
        }
        CheckpointStore.Found found = run.resume ? checkpoints.latestValid(job.jobId()) : null;
        if (found == null || found.checkpoint() == null) {
            INDArray params = job.model().build().initialParams();
            INDArray state = Nd4j.zeros(DataType.FLOAT, Math.max(1, job.optimizer().stateRows()), params.length());
            return new Prepared(run, train, params, state, 0, found, null);
        }
        Checkpoint c = found.checkpoint();
        if (!c.job().model().equals(job.model()) || !c.job().optimizer().equals(job.optimizer())) {
            throw new IllegalArgumentException("checkpoint " + found.file() + " was written for model " + c.job().model()
                    + " with " + c.job().optimizer() + ", not " + job.model() + " with " + job.optimizer());
        }
        return new Prepared(run, train, c.params(), c.optimizerState(), c.version(), found, null);
    }

    private Behavior<Command> onPrepared(Prepared p) {
        JobRun run = p.run();
        if (p.error() != null) return fail(run, "cannot start: " + p.error().getMessage());
        TrainingJob job = run.job;
        try {
            run.plan = new BatchPlan(job.seed(), p.train().size(), job.globalBatch(), job.microBatches());
        } catch (IllegalArgumentException e) {
            return fail(run, e.getMessage());
        }
        run.totalSteps = job.steps() > 0 ? job.steps() : job.epochs() * run.plan.stepsPerEpoch();
        run.numParams = p.params().length();
        run.shardBounds = JobRun.split(run.numParams, job.shards());
        run.firstVersion = run.nextStepToReport = p.version();
        run.phase = JobRun.Phase.INITIALIZING_SHARDS;
        if (p.restored() != null) reportRestore(run, p.restored());
        for (int s = 0; s < job.shards(); s++) {
            long from = run.shardBounds[s];
            long to = run.shardBounds[s + 1];
            INDArray slice = p.params().get(NDArrayIndex.interval(from, to)).dup();
            INDArray state = p.optimizerState().get(NDArrayIndex.all(), NDArrayIndex.interval(from, to)).dup();
            ParameterShard.ref(context.getSystem(), run.id(), s).tell(new ParameterShard.Init(run.id(), s, slice,
                    state, job.optimizer(), job.microBatches(), p.version(), shardReplies));
        }
        return this;
    }

    private void reportRestore(JobRun run, CheckpointStore.Found found) {
        found.rejected().forEach(r -> context.getLog().warn("job {}: skipping checkpoint: {}", run.id(), r));
        if (found.checkpoint() == null) {
            context.getLog().info("job {}: no usable checkpoint in {}, starting from step 0", run.id(), checkpoints.dir());
        } else {
            context.getLog().info("job {}: resuming from {} (step {})", run.id(), found.file(), found.checkpoint().version());
        }
        run.client.tell(new TrainingEvent.Restored(run.id(), run.firstVersion,
                found.file() == null ? "" : found.file().toString(), found.rejected().toArray(String[]::new)));
    }

    private Behavior<Command> onShardReplied(ShardReplied msg) {
        JobRun run = active;
        if (run == null || !msg.reply().jobId().equals(run.id())) return this;
        if (onStrategyReply(run, msg.reply())) return this;
        if (msg.reply() instanceof ParameterShard.Initialized && run.phase == JobRun.Phase.INITIALIZING_SHARDS
                && ++run.shardsInitialized == run.job.shards()) {
            if (switchShards(run)) return this;
            run.phase = JobRun.Phase.WAITING_FOR_WORKERS;
            assignWorkers();
        } else if (msg.reply() instanceof ParameterShard.Initialized seeded && (run.phase == JobRun.Phase.SEEDING
                || !run.checkpointsAwaitingSeed.isEmpty()) && ++run.seedsAnswered == run.job.shards()) {
            onShardsSeeded(run, seeded.version());
        } else if (msg.reply() instanceof ParameterShard.Lost lost) {
            return fail(run, lost.reason());
        } else if (msg.reply() instanceof ParameterShard.Version v && run.phase == JobRun.Phase.SYNCING
                && run.shardVersions[v.shardIndex()] < 0) {
            run.shardVersions[v.shardIndex()] = v.version();
            if (java.util.Arrays.stream(run.shardVersions).allMatch(x -> x >= 0)) {
                startWorkers(run, java.util.Arrays.stream(run.shardVersions).min().orElse(0));
            }
        }
        return this;
    }

    private Behavior<Command> onWorkersChanged(WorkersChanged msg) {
        available = msg.listing().getServiceInstances(Worker.SERVICE_KEY).stream()
                .sorted(Comparator.comparing(ref -> ref.path().toString()))
                .toList();
        context.getLog().info("{} worker(s) reachable", available.size());
        if (!recovered) {
            recovered = true;
            // A coordinator that took over after a failover knows nothing: ask the workers.
            for (ActorRef<Worker.Command> w : available) w.tell(new Worker.ReportAssignment(context.getSelf()));
        }
        JobRun run = active;
        if (run != null && (run.phase == JobRun.Phase.WAITING_FOR_WORKERS
                || run.phase == JobRun.Phase.FORMING && !chooseWorkers(run).equals(run.forming)
                || trainingPhase(run.phase) && run.phase != JobRun.Phase.FORMING
                && !chooseWorkers(run).equals(run.workers))) {
            assignWorkers();
        }
        return this;
    }

    /**
     * A node left the cluster: a shard primary on it is re-created elsewhere from its backup and
     * the step in flight may have lost pushes, so the job re-syncs from the lowest shard version
     * even if no worker was on that node.
     */
    private Behavior<Command> onMemberRemoved(MemberRemoved removed) {
        JobRun run = active;
        // Under ring/tree the shards are not in the step's path: only a worker's loss matters,
        // and the receptionist's listing (or a CollectiveFailed) reports that.
        if (run != null && trainingPhase(run.phase) && (!run.strategy.collective()
                || run.phase == JobRun.Phase.SEEDING)) {
            context.getLog().info("job {}: {} left the cluster; re-syncing", run.id(), removed.event().member().address());
            assignWorkers();
        }
        return this;
    }

    /** The reachable workers that should train {@code run}: the first maxWorkers by path. */
    private List<ActorRef<Worker.Command>> chooseWorkers(JobRun run) {
        return available.subList(0, Math.min(available.size(), run.job.maxWorkers()));
    }

    /**
     * (Re)assigns the active job's workers. The first time they start at step 0. After a
     * membership change the new view resumes at the lowest version any shard holds — the first
     * step not applied everywhere (a leaving worker's last pushes may be lost in flight even
     * though its report arrived); shards already past it serve it from their one-step history
     * and drop the micro-batches they already have. Below minWorkers the job pauses instead.
     */
    private void assignWorkers() {
        JobRun run = active;
        List<ActorRef<Worker.Command>> chosen = chooseWorkers(run);
        if (chosen.size() < run.job.minWorkers()) {
            context.getLog().info("job {} waits for workers: {} of at least {}", run.id(), chosen.size(),
                    run.job.minWorkers());
            run.phase = JobRun.Phase.WAITING_FOR_WORKERS;
            if (run.membershipEpoch > 0 && !run.paused) {
                run.paused = true;
                run.client.tell(new TrainingEvent.Paused(run.id(), run.nextStepToReport, chosen.size(),
                        run.job.minWorkers()));
            }
            return;
        }
        if (run.switching != null && run.phase != JobRun.Phase.FORMING) {
            abortSwitch(run, "the membership changed during the switch; try again");
        }
        if (run.membershipEpoch == 0) {
            scheduleCheckpoint(run, run.firstVersion);
            if (run.strategy.collective()) form(run, run.firstVersion);
            else startWorkers(run, run.firstVersion);
            return;
        }
        if (run.strategy.collective()) {
            form(run, run.formAt >= 0 && run.phase == JobRun.Phase.FORMING ? run.formAt : -1);
            return;
        }
        syncFromShards(run);
    }

    /** Re-syncs from the lowest shard version (see {@link #assignWorkers}). */
    private void syncFromShards(JobRun run) {
        run.phase = JobRun.Phase.SYNCING;
        run.shardVersions = new long[run.job.shards()];
        java.util.Arrays.fill(run.shardVersions, -1);
        askVersions(run);
    }

    /** Asks every shard for its version; {@link ResyncRetry} asks the silent ones again every 2 s. */
    private void askVersions(JobRun run) {
        for (int s = 0; s < run.job.shards(); s++) {
            if (run.shardVersions[s] >= 0) continue;
            ParameterShard.ref(context.getSystem(), run.id(), s).tell(new ParameterShard.GetVersion(run.id(), shardReplies));
        }
        if (run.strategy.appliesOnArrival()) audit(run);
        context.scheduleOnce(RESYNC_RETRY, context.getSelf(), new ResyncRetry(run.id(), ++run.resyncRound));
    }

    private void startWorkers(JobRun run, long from) {
        List<ActorRef<Worker.Command>> previous = run.workers;
        boolean first = run.membershipEpoch == 0;
        run.workers = new ArrayList<>(run.strategy.collective() ? run.forming : chooseWorkers(run));
        run.membershipEpoch++;
        run.phase = JobRun.Phase.RUNNING;
        run.phaseSinceNanos = System.nanoTime();
        run.paused = false;
        if (run.strategy.appliesOnArrival()) reportWholeBelow(run, from);
        // Steps before `from` are applied everywhere; an adopted job reports from there on (under
        // ring/tree the step before `from` may still be reported: its losses are being recomputed).
        run.nextStepToReport = Math.max(run.nextStepToReport, run.recomputing == from - 1 ? from - 1 : from);
        run.recomputing = -1;
        if (from >= run.totalSteps) {
            // Adopted after the last step was applied: only the final evaluation is missing
            // (under ring/tree rank 0 copies its replica into the shards for it when assigned).
            run.phase = JobRun.Phase.FINISHING;
            if (run.strategy.collective()) run.workers.get(0).tell(new Worker.Assign(run.assignment(0, from), context.getSelf()));
            evaluate(run, run.totalSteps, run.plan.epochOf(run.totalSteps - 1));
            return;
        }
        for (int rank = 0; rank < run.workers.size(); rank++) {
            run.workers.get(rank).tell(new Worker.Assign(run.assignment(rank, from), context.getSelf()));
        }
        for (ActorRef<Worker.Command> w : previous) {
            if (!run.workers.contains(w)) w.tell(new Worker.Release(run.id()));
        }
        if (first) {
            run.startNanos = run.lastStepNanos = System.nanoTime();
            run.client.tell(new TrainingEvent.Started(run.id(), from, run.totalSteps, run.plan.stepsPerEpoch(),
                    run.workers.size(), run.job.shards(), run.strategy, run.numParams));
        } else {
            context.getLog().info("job {}: membership epoch {}, {} worker(s), from step {}", run.id(),
                    run.membershipEpoch, run.workers.size(), from);
            run.client.tell(new TrainingEvent.MembershipChanged(run.id(), run.membershipEpoch, run.workers.size(), from));
        }
        if (run.switching != null) finishSwitch(run, from);
        if (run.auto != null) run.auto.membershipChanged();
    }

    /** Phases in which workers are assigned (or being re-assigned) to the active job. */
    private static boolean trainingPhase(JobRun.Phase phase) {
        return switch (phase) {
            case RUNNING, SYNCING, HOLDING, DRAINING, SEEDING, SWITCHING_SHARDS, FORMING -> true;
            default -> false;
        };
    }

    // ---- strategy switching (docs/switching.md) ----

    private Behavior<Command> onSwitchStrategy(SwitchStrategy ask) {
        JobRun run = active;
        String refused = run == null || !run.id().equals(ask.jobId()) ? "no running job " + ask.jobId()
                : !ask.strategy().concrete()
                        ? "strategy " + ask.strategy().id() + " cannot be switched to in this build"
                : run.switching != null ? "a switch to " + run.switching.target.id() + " is in progress"
                : run.phase != JobRun.Phase.RUNNING ? "job " + run.id() + " is " + run.phase.name().toLowerCase()
                        + ", not running; try again" : null;
        if (refused != null) {
            ask.replyTo().tell(new SwitchResult(ask.jobId(), run == null ? null : run.strategy, -1, refused));
        } else if (ask.strategy() == run.strategy) {
            ask.replyTo().tell(new SwitchResult(run.id(), run.strategy, run.nextStepToReport, null));
        } else {
            context.getLog().info("job {}: switching from {} to {} ({})", run.id(), run.strategy.id(),
                    ask.strategy().id(), ask.reason());
            run.switching = new JobRun.Switch(run.strategy, ask.strategy(), ask.replyTo(), ask.reason(),
                    run.workers.size());
            run.switching.boundary = Math.min(ask.atStep(), run.totalSteps);
            java.util.Arrays.fill(run.switching.held, -1);
            run.phase = JobRun.Phase.HOLDING;
            run.workers.forEach(w -> w.tell(new Worker.Hold(run.id(), run.membershipEpoch)));
        }
        return this;
    }

    private Behavior<Command> onHeld(Held held) {
        JobRun run = active;
        if (!switchStage(run, JobRun.Phase.HOLDING, held.jobId(), held.epoch()) || run.switching.held[held.rank()] >= 0) {
            return this;
        }
        JobRun.Switch sw = run.switching;
        sw.held[held.rank()] = held.nextStep();
        sw.boundary = Math.max(sw.boundary, held.nextStep());
        if (++sw.answers < sw.held.length) return this;
        // Workers differ by at most one step; all run to the furthest one begun.
        sw.answers = 0;
        java.util.Arrays.fill(sw.held, -1);
        run.phase = JobRun.Phase.DRAINING;
        run.workers.forEach(w -> w.tell(new Worker.RunTo(run.id(), run.membershipEpoch, sw.boundary)));
        return this;
    }

    private Behavior<Command> onAtBoundary(AtBoundary at) {
        JobRun run = active;
        if (!switchStage(run, JobRun.Phase.DRAINING, at.jobId(), at.epoch()) || run.switching.held[at.rank()] >= 0) {
            return this;
        }
        JobRun.Switch sw = run.switching;
        sw.held[at.rank()] = at.step();
        if (++sw.answers < sw.held.length) return this;
        if (sw.boundary >= run.totalSteps) {
            finishSwitch(run, run.totalSteps); // nothing left to train under the new strategy
            run.phase = JobRun.Phase.RUNNING;
            return this;
        }
        if (run.strategy.collective() && !sw.target.collective()) {
            run.phase = JobRun.Phase.SEEDING;
            run.seedsAnswered = 0;
            run.workers.get(0).tell(new Worker.SeedShards(run.id(), shardReplies));
        } else {
            switchShardsThenStart(run);
        }
        return this;
    }

    /**
     * At the boundary, with the shards holding the state (PS all along, or just seeded): puts the
     * shards in the mode the target needs — ps-bsp for ring/tree (the members read their replica
     * from BSP snapshots), the target itself otherwise — then starts the new view.
     */
    private void switchShardsThenStart(JobRun run) {
        JobRun.Switch sw = run.switching;
        Strategy shardsNow = run.strategy.collective() ? Strategy.PS_BSP : run.strategy;
        Strategy shardsWanted = sw.target.collective() ? Strategy.PS_BSP : sw.target;
        if (shardsNow != shardsWanted) {
            run.phase = JobRun.Phase.SWITCHING_SHARDS;
            run.shardsSwitched = 0;
            for (int s = 0; s < run.job.shards(); s++) {
                ParameterShard.ref(context.getSystem(), run.id(), s).tell(new ParameterShard.SwitchStrategy(run.id(),
                        shardsWanted, run.job.staleness(), sw.boundary, shardReplies));
            }
            return;
        }
        run.strategy = sw.target;
        run.switchedSinceStart = true;
        if (sw.target.collective()) form(run, sw.boundary);
        else startWorkers(run, sw.boundary);
    }

    private boolean switchStage(JobRun run, JobRun.Phase phase, String jobId, long epoch) {
        return run != null && run.switching != null && run.phase == phase && run.id().equals(jobId)
                && run.membershipEpoch == epoch;
    }

    /** Every shard holds rank 0's replica at {@code version}: finish a switch to PS, or write checkpoints. */
    private void onShardsSeeded(JobRun run, long version) {
        if (run.phase == JobRun.Phase.SEEDING) {
            run.strategy = Strategy.PS_BSP; // the shards hold the state again, as ps-bsp shards
            switchShardsThenStart(run);
        }
        for (ActorRef<CheckpointResult> requester : run.checkpointsAwaitingSeed) writeCheckpoint(run, version, requester);
        run.checkpointsAwaitingSeed.clear();
    }

    private void finishSwitch(JobRun run, long atStep) {
        JobRun.Switch sw = run.switching;
        run.switching = null;
        context.getLog().info("job {}: {} from step {}", run.id(), sw.target.id(), atStep);
        run.client.tell(new TrainingEvent.StrategyChanged(run.id(), sw.from, sw.target, atStep, sw.reason));
        sw.replyTo.tell(new SwitchResult(run.id(), sw.target, atStep, null));
    }

    private void abortSwitch(JobRun run, String why) {
        JobRun.Switch sw = run.switching;
        run.switching = null;
        context.getLog().warn("job {}: switch to {} abandoned: {}", run.id(), sw.target.id(), why);
        sw.replyTo.tell(new SwitchResult(run.id(), run.strategy, -1, why));
    }

    // ---- collective views ----

    /**
     * Forms a collective view of the chosen workers: each stops, aborts the old view's
     * all-reduce and reports its data-plane address and replica version. {@code at} >= 0 fixes the
     * start step (job start, switch boundary); -1 resumes from the newest replica any survivor
     * holds (roll forward: its step was all-reduced by everyone, so it is the trajectory's).
     */
    private void form(JobRun run, long at) {
        run.phase = JobRun.Phase.FORMING;
        run.formAt = at;
        run.formRound++;
        run.forming = new ArrayList<>(chooseWorkers(run));
        run.formed = new MemberReady[run.forming.size()];
        for (ActorRef<Worker.Command> w : run.forming) {
            w.tell(new Worker.Prepare(run.id(), run.membershipEpoch + 1, run.formRound, context.getSelf()));
        }
    }

    private Behavior<Command> onMemberReady(MemberReady p) {
        JobRun run = active;
        if (run == null || run.phase != JobRun.Phase.FORMING || !run.id().equals(p.jobId()) || p.round() != run.formRound) {
            return this;
        }
        int at = run.forming.indexOf(p.worker());
        if (at < 0) return this;
        run.formed[at] = p;
        if (java.util.Arrays.stream(run.formed).anyMatch(java.util.Objects::isNull)) return this;
        MemberReady newest = java.util.Arrays.stream(run.formed).max(Comparator.comparingLong(MemberReady::replicaVersion))
                .orElseThrow();
        run.peers = java.util.Arrays.stream(run.formed).map(MemberReady::address).toArray(String[]::new);
        long from = run.formAt >= 0 ? run.formAt : newest.replicaVersion();
        run.replicaSource = newest.replicaVersion() == from ? newest.worker() : null;
        boolean adopted = run.firstVersion < 0 && run.nextStepToReport < from;
        if (run.formAt < 0 && from > 0 && (run.nextStepToReport == from - 1 || adopted) && run.replicaSource != null) {
            // The last step rolled forward to may have lost a report with a dead worker (or with the
            // dead coordinator): the replica's previous parameters give the losses back (same
            // inputs, same bits); a client that saw the step already drops the repeat.
            int[] missing = run.unreported(from - 1);
            if (missing.length > 0) {
                run.recomputing = from - 1;
                run.replicaSource.tell(new Worker.RecomputeLosses(run.id(), from - 1, missing, context.getSelf()));
            }
        }
        if (from < 0) {
            // No replica survived: the shards hold the last copy rank 0 made (epoch end, checkpoint).
            context.getLog().warn("job {}: no worker holds a replica; resuming from the shards' copy", run.id());
            syncFromShards(run);
        } else {
            startWorkers(run, from);
        }
        return this;
    }

    private Behavior<Command> onCollectiveFailed(CollectiveFailed failed) {
        JobRun run = active;
        if (run != null && run.id().equals(failed.jobId()) && failed.epoch() == run.membershipEpoch
                && run.phase == JobRun.Phase.RUNNING) {
            context.getLog().warn("job {}: rank {} could not finish step {}: {}; re-forming the view", run.id(),
                    failed.rank(), failed.step(), failed.reason());
            assignWorkers();
        }
        return this;
    }

    private Behavior<Command> onStepDone(StepDone done) {
        JobRun run = active;
        if (run == null || !done.jobId().equals(run.id())) return this;
        FlockMetrics.get(context.getSystem()).metrics().recordCompute(done.computeNanos() / 1e9);
        if (run.auto != null && done.epoch() == run.membershipEpoch && done.computeNanos() > 0) {
            run.auto.recordCompute(done.rank(), done.computeNanos() / 1e9);
        }
        if (!run.record(done.step(), done.microBatches(), done.losses())) return this;
        for (TrainingEvent.StepCompleted ev = run.pollCompletedStep(System.nanoTime()); ev != null;
                ev = run.pollCompletedStep(System.nanoTime())) {
            run.client.tell(ev);
            FlockMetrics.get(context.getSystem()).metrics().recordStep(run.id(), run.strategy,
                    run.job.globalBatch() / ev.samplesPerSecond(), run.job.globalBatch(), ev.loss());
            boolean last = ev.step() == run.totalSteps - 1;
            if (last || run.plan.endsEpoch(ev.step())) evaluate(run, ev.step() + 1, ev.epoch());
            if (last) run.phase = JobRun.Phase.FINISHING;
            else if (run.auto != null && run.auto.due(ev.step())) evaluateAuto(run, ev.step());
        }
        return this;
    }

    private void watchProgress(JobRun run) {
        if (!stallTimeout.isZero()) {
            context.scheduleOnce(stallTimeout.dividedBy(3), context.getSelf(), new CheckProgress(run.id()));
        }
    }

    /**
     * A running job that committed no step for {@code stall-timeout} is re-synced as after a
     * membership change. Artery delivers at most once: a message lost with a broken connection (a
     * step report, a re-sync answer) that no retry covers would otherwise stall the job forever
     * while every node stays reachable. Pushes and backups have their own retries; this is the net.
     */
    private Behavior<Command> onCheckProgress(CheckProgress check) {
        JobRun run = active;
        if (run == null || !run.id().equals(check.jobId())) return this;
        long idle = System.nanoTime() - Math.max(run.lastStepNanos, run.phaseSinceNanos);
        if (run.phase == JobRun.Phase.RUNNING && run.switching == null && idle > stallTimeout.toNanos()) {
            context.getLog().warn("job {}: no step committed for {} s (at step {}); re-syncing", run.id(),
                    idle / 1_000_000_000, run.nextStepToReport);
            run.phaseSinceNanos = System.nanoTime();
            assignWorkers();
        }
        watchProgress(run);
        return this;
    }

    // ---- auto ----

    /**
     * Probes the link to the workers (timed transfers of a few sizes, for the fit of the next
     * evaluation) and evaluates the policy on what is measured so far; a decision to switch is
     * reported as an event and carried out like a requested switch.
     */
    private void evaluateAuto(JobRun run, long step) {
        for (ActorRef<Worker.Command> w : run.workers) {
            for (INDArray probe : run.auto.probes()) {
                w.tell(new Worker.Echo(run.id(), probe, System.nanoTime(), context.getSelf()));
            }
        }
        if (run.phase != JobRun.Phase.RUNNING || run.switching != null) return;
        AutoStrategy.Evaluation e = run.auto.evaluate(step, run.workers.size(), run.numParams * 4, run.job.shards(),
                run.job.microBatches(), run.strategy);
        if (e == null) return;
        if (e.decision() instanceof io.flock.strategies.StrategyDecision.SwitchTo to) {
            Strategy target = to.strategy();
            String reason = "auto: " + to.reason() + "; " + e.summary();
            context.getLog().info("job {} at step {}: {}", run.id(), step, reason);
            run.client.tell(new TrainingEvent.StrategyDecided(run.id(), step, run.strategy, target, reason));
            context.getSelf().tell(new SwitchStrategy(run.id(), target, to.atStep(), reason,
                    context.messageAdapter(SwitchResult.class, AutoSwitched::new)));
        } else {
            context.getLog().debug("job {} at step {}: auto keeps {}: {}", run.id(), step, run.strategy.id(), e.summary());
            run.client.tell(new TrainingEvent.StrategyDecided(run.id(), step, run.strategy, run.strategy,
                    "auto: keep; " + e.summary()));
        }
    }

    private Behavior<Command> onEchoed(Echoed echoed) {
        JobRun run = active;
        if (run != null && run.auto != null && run.id().equals(echoed.jobId())) {
            run.auto.recordTransfer(echoed.bytes(), (System.nanoTime() - echoed.sentNanos()) / 1e9);
        }
        return this;
    }

    private Behavior<Command> onAutoSwitched(AutoSwitched switched) {
        SwitchResult r = switched.result();
        if (!r.ok()) context.getLog().warn("job {}: the auto policy's switch did not happen: {}", r.jobId(), r.error());
        return this;
    }

    /**
     * Adopts the job a worker reports if this coordinator has none (it took over from one that
     * died): the shards still hold the parameters; re-syncing from the lowest shard version
     * resumes it with no step lost or applied twice.
     */
    private Behavior<Command> onAssignmentReport(AssignmentReport report) {
        Assignment a = report.assignment();
        if (a == null) return this;
        if (active != null) {
            if (active.id().equals(a.jobId()) && a.epoch() > active.membershipEpoch) active.membershipEpoch = a.epoch();
            return this;
        }
        context.getLog().info("adopting job {} from {} (epoch {}, step {})", a.jobId(), report.worker().path(),
                a.epoch(), report.step());
        active = JobRun.adopt(a, a.epoch(), autoSettings);
        assignWorkers();
        return this;
    }

    private Behavior<Command> onWorkerFailed(WorkerFailed failed) {
        if (active == null || !failed.jobId().equals(active.id())) return this;
        return fail(active, "worker " + failed.rank() + " failed: " + failed.reason());
    }

    /** Schedules the next periodic checkpoint after {@code after} steps, if the job has them. */
    private void scheduleCheckpoint(JobRun run, long after) {
        long every = run.job.checkpointEvery();
        if (every <= 0) return;
        long at = (after / every + 1) * every;
        if (at <= run.totalSteps) writeCheckpoint(run, at, null);
    }

    private void writeCheckpoint(JobRun run, long version, ActorRef<CheckpointResult> requester) {
        run.checkpointWriters.add(context.spawnAnonymous(CheckpointWriter.create(run.assignment(0, version), version,
                checkpoints, context.getSelf(), requester, checkpointTimeout),
                DispatcherSelector.fromConfig("flock.blocking-dispatcher")));
    }

    private Behavior<Command> onCheckpointNow(CheckpointNow ask) {
        JobRun run = active;
        if (run == null || !run.id().equals(ask.jobId()) || run.plan == null) {
            ask.replyTo().tell(new CheckpointResult(ask.jobId(), -1, "", "no running job " + ask.jobId()));
        } else if (run.strategy.collective() && run.phase == JobRun.Phase.RUNNING && !run.workers.isEmpty()) {
            // The shards hold no live state under ring/tree: rank 0 copies its replica in first.
            if (run.checkpointsAwaitingSeed.isEmpty()) {
                run.seedsAnswered = 0;
                run.workers.get(0).tell(new Worker.SeedShards(run.id(), shardReplies));
            }
            run.checkpointsAwaitingSeed.add(ask.replyTo());
        } else {
            writeCheckpoint(run, Math.min(run.totalSteps, run.nextStepToReport + 1), ask.replyTo());
        }
        return this;
    }

    private Behavior<Command> onCheckpointFinished(CheckpointFinished done) {
        CheckpointResult r = done.result();
        if (done.requester() != null) done.requester().tell(r);
        JobRun run = active;
        if (run == null || !run.id().equals(r.jobId())) return this;
        if (r.ok()) {
            context.getLog().info("job {}: checkpoint after step {} written to {}", run.id(), r.version(), r.path());
            run.client.tell(new TrainingEvent.CheckpointWritten(run.id(), r.version(), r.path()));
            FlockMetrics.get(context.getSystem()).metrics().recordCheckpoint(run.id(), System.currentTimeMillis());
        } else {
            context.getLog().warn("job {}: checkpoint failed: {}", run.id(), r.error());
        }
        // The next multiple of checkpoint-every still ahead of training (a fast job may be past the next one).
        if (done.requester() == null) scheduleCheckpoint(run, Math.max(r.version(), run.nextStepToReport + 1));
        return this;
    }

    private Behavior<Command> onGetStatus(GetStatus get) {
        JobRun run = active;
        get.replyTo().tell(run == null ? new JobStatus(null, 0, 0, null, 0, queued.size()) : new JobStatus(run.id(),
                run.nextStepToReport, run.totalSteps, run.strategy, run.workers.size(), queued.size()));
        return this;
    }

    private void evaluate(JobRun run, long version, long epoch) {
        boolean last = version == run.totalSteps;
        // After a runtime switch into ps-ssp / ps-asp the shards' SSP record starts at the switch clock.
        long first = run.switchedSinceStart && run.strategy.appliesOnArrival() ? -1 : run.firstVersion;
        context.spawnAnonymous(Evaluator.create(run.assignment(0, version), version, epoch, first, last,
                datasets, context.getSelf(), evaluationTimeout), DispatcherSelector.fromConfig("flock.blocking-dispatcher"));
    }

    private Behavior<Command> onEvaluated(Evaluated ev) {
        JobRun run = active;
        if (run == null || !ev.jobId().equals(run.id())) return this;
        boolean last = ev.version() == run.totalSteps;
        if (ev.error() != null) {
            if (last) return fail(run, ev.error());
            context.getLog().warn("job {}: evaluation at step {} failed: {}", run.id(), ev.version(), ev.error());
            return this;
        }
        run.lastAccuracy = ev.accuracy();
        if (run.plan.endsEpoch(ev.version() - 1)) {
            run.client.tell(new TrainingEvent.EpochCompleted(run.id(), ev.epoch(), ev.version(), ev.accuracy()));
        }
        if (last) complete(run, ev.params());
        return this;
    }

    private void complete(JobRun run, INDArray params) {
        long elapsedNanos = run.lastStepNanos - run.startNanos;
        double samplesPerSecond = run.totalSteps * run.job.globalBatch() / Math.max(1e-9, elapsedNanos / 1e9);
        TrainingResult result = new TrainingResult(run.id(), run.totalSteps, run.lastLoss, run.lastAccuracy, params,
                elapsedNanos / 1_000_000, samplesPerSecond);
        context.getLog().info("job {} completed: {} steps, loss {}, test accuracy {}", run.id(), run.totalSteps,
                run.lastLoss, run.lastAccuracy);
        run.client.tell(new TrainingEvent.Completed(run.id(), result));
        finish(run);
    }

    private Behavior<Command> fail(JobRun run, String reason) {
        context.getLog().warn("job {} failed: {}", run.id(), reason);
        run.client.tell(new TrainingEvent.Failed(run.id(), reason));
        finish(run);
        return this;
    }

    /** Releases workers and shards of {@code run} and starts the next queued job. */
    private void finish(JobRun run) {
        for (ActorRef<Worker.Command> w : run.workers) w.tell(new Worker.Release(run.id()));
        run.checkpointWriters.forEach(context::stop);
        run.audits.forEach(context::stop);
        if (run.shardBounds != null) {
            for (int s = 0; s < run.shardBounds.length - 1; s++) {
                ParameterShard.ref(context.getSystem(), run.id(), s).tell(new ParameterShard.Release(run.id()));
            }
        }
        active = null;
        JobRun next = queued.poll();
        if (next != null) prepare(next);
    }

    private Behavior<Command> onResyncRetry(ResyncRetry retry) {
        JobRun run = active;
        if (run == null || !run.id().equals(retry.jobId()) || run.phase != JobRun.Phase.SYNCING
                || retry.round() != run.resyncRound) {
            return this;
        }
        for (int s = 0; s < run.job.shards(); s++) {
            if (run.shardVersions[s] >= 0) continue;
            context.getLog().debug("job {}: shard {} has not told its version yet; asking again", run.id(), s);
            ParameterShard.ref(context.getSystem(), run.id(), s).tell(new ParameterShard.GetVersion(run.id(), shardReplies));
        }
        context.scheduleOnce(RESYNC_RETRY, context.getSelf(), retry);
        return this;
    }

    /** ps-ssp / ps-asp jobs: after Init every shard switches to the job's strategy, then workers start. */
    private boolean switchShards(JobRun run) {
        if (!run.strategy.appliesOnArrival()) return false;
        for (int s = 0; s < run.job.shards(); s++) {
            ParameterShard.ref(context.getSystem(), run.id(), s).tell(new ParameterShard.SwitchStrategy(run.id(),
                    run.strategy, run.job.staleness(), run.firstVersion, shardReplies));
        }
        return true;
    }

    /** Shards confirming (or refusing) the job's strategy; false for any other reply. */
    private boolean onStrategyReply(JobRun run, ParameterShard.Reply reply) {
        if (run.phase == JobRun.Phase.SWITCHING_SHARDS) {
            if (reply instanceof ParameterShard.SwitchRefused refused) {
                abortSwitch(run, "shard " + refused.shardIndex() + " refused: " + refused.reason());
                assignWorkers();
            } else if (reply instanceof ParameterShard.StrategySwitched
                    && ++run.shardsSwitched == run.job.shards()) {
                run.strategy = run.switching.target.collective() ? Strategy.PS_BSP : run.switching.target;
                switchShardsThenStart(run); // the shards are where the target wants them now: start
            }
            return reply instanceof ParameterShard.SwitchRefused || reply instanceof ParameterShard.StrategySwitched;
        }
        if (reply instanceof ParameterShard.SwitchRefused refused) {
            fail(run, refused.reason());
            return true;
        }
        if (!(reply instanceof ParameterShard.StrategySwitched) || run.phase != JobRun.Phase.INITIALIZING_SHARDS) {
            return false;
        }
        if (++run.shardsSwitched == run.job.shards()) {
            run.phase = JobRun.Phase.WAITING_FOR_WORKERS;
            assignWorkers();
        }
        return true;
    }

    /** Under ps-ssp / ps-asp at a re-sync: checks that every reported (acknowledged) gradient is applied on every shard. */
    private void audit(JobRun run) {
        run.audits.add(context.spawnAnonymous(SspAudit.create(run.assignment(0, run.nextStepToReport),
                run.firstVersion, run.nextStepToReport, run.reportedAbove(), context.getSelf(), evaluationTimeout)));
    }

    private Behavior<Command> onSspAudited(SspAudited audited) {
        JobRun run = active;
        if (run == null || !audited.jobId().equals(run.id())) return this;
        if (audited.missing() == 0 && audited.error() != null) {
            context.getLog().warn("job {}: gradient audit incomplete: {}", run.id(), audited.error());
            return this;
        }
        context.getLog().info("job {}: {} acknowledged gradient(s) checked on every shard, {} missing", run.id(),
                audited.acknowledged(), audited.missing());
        run.client.tell(new TrainingEvent.GradientsAudited(run.id(), audited.epoch(), audited.acknowledged(),
                audited.missing(), audited.recoveredShards()));
        if (audited.missing() > 0) return fail(run, audited.missing() + " acknowledged gradient(s) lost: " + audited.error());
        return this;
    }

    /**
     * Under ps-ssp / ps-asp, before re-syncing from {@code from}: clocks below it are whole on every
     * shard, so they are reported now even if a worker's report is still on its way or was lost.
     */
    private void reportWholeBelow(JobRun run, long from) {
        for (TrainingEvent.StepCompleted ev : run.completeBelow(from, System.nanoTime())) {
            run.client.tell(ev);
            FlockMetrics.get(context.getSystem()).metrics().recordStep(run.id(), run.job.strategy(),
                    run.job.globalBatch() / ev.samplesPerSecond(), run.job.globalBatch(), ev.loss());
            if (run.plan.endsEpoch(ev.step()) && ev.step() < run.totalSteps - 1) evaluate(run, ev.step() + 1, ev.epoch());
        }
    }

    /**
     * The failure inside {@code supplyAsync}'s CompletionException. Not the deepest cause: a
     * DatasetException naming file and offset wraps the bare EOFException that triggered it.
     */
    private static Throwable unwrap(Throwable t) {
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) t = t.getCause();
        return t;
    }
}
