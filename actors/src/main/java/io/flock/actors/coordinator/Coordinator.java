package io.flock.actors.coordinator;

import io.flock.actors.api.JobStatus;
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

    /** From an {@link Evaluator} child: accuracy at {@code version}, or an error. */
    record Evaluated(String jobId, long version, long epoch, double accuracy, INDArray params, String error)
            implements Command {}

    /** The job's starting state: fresh parameters, or a checkpoint's ({@code restored} non-null). */
    private record Prepared(JobRun run, Dataset train, INDArray params, INDArray optimizerState, long version,
            CheckpointStore.Found restored, Throwable error) implements Command {

        static Prepared failed(JobRun run, Throwable error) {
            return new Prepared(run, null, null, null, 0, null, error);
        }
    }

    private record ShardReplied(ParameterShard.Reply reply) implements Command {}

    private record WorkersChanged(Receptionist.Listing listing) implements Command {}

    private record MemberRemoved(ClusterEvent.MemberRemoved event) implements Command {}

    /**
     * Re-sync round {@code versions} (the array collecting its answers) is still open: ask the
     * shards that have not answered again. A query that sharding routed to a node being removed
     * is lost (seen in the chaos harness's minority partition: the job waited forever).
     */
    private record RetryVersions(JobRun run, long[] versions) implements Command {}

    private static final Duration VERSION_RETRY = Duration.ofSeconds(2);

    private final ActorContext<Command> context;
    private final DatasetCache datasets;
    private final Executor blocking;
    private final Duration evaluationTimeout;
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
                .onMessage(RetryVersions.class, this::onRetryVersions)
                .onMessage(WorkersChanged.class, this::onWorkersChanged)
                .onMessage(MemberRemoved.class, this::onMemberRemoved)
                .onMessage(StepDone.class, this::onStepDone)
                .onMessage(Evaluated.class, this::onEvaluated)
                .onMessage(WorkerFailed.class, this::onWorkerFailed)
                .onMessage(AssignmentReport.class, this::onAssignmentReport)
                .onMessage(CheckpointNow.class, this::onCheckpointNow)
                .onMessage(CheckpointFinished.class, this::onCheckpointFinished)
                .onMessage(GetStatus.class, this::onGetStatus)
                .build();
    }

    private Behavior<Command> onSubmit(Submit submit) {
        JobRun run = new JobRun(submit.job(), submit.client());
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
        if (msg.reply() instanceof ParameterShard.Initialized && run.phase == JobRun.Phase.INITIALIZING_SHARDS
                && ++run.shardsInitialized == run.job.shards()) {
            run.phase = JobRun.Phase.WAITING_FOR_WORKERS;
            assignWorkers();
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
                || (run.phase == JobRun.Phase.RUNNING || run.phase == JobRun.Phase.SYNCING)
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
        if (run != null && (run.phase == JobRun.Phase.RUNNING || run.phase == JobRun.Phase.SYNCING)) {
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
        if (run.membershipEpoch == 0) {
            startWorkers(run, run.firstVersion);
            scheduleCheckpoint(run, run.firstVersion);
            return;
        }
        run.phase = JobRun.Phase.SYNCING;
        run.shardVersions = new long[run.job.shards()];
        java.util.Arrays.fill(run.shardVersions, -1);
        askVersions(run);
    }

    /** Asks every shard of this re-sync round that has not answered yet for its version, again in 2 s. */
    private void askVersions(JobRun run) {
        for (int s = 0; s < run.job.shards(); s++) {
            if (run.shardVersions[s] >= 0) continue;
            ParameterShard.ref(context.getSystem(), run.id(), s).tell(new ParameterShard.GetVersion(run.id(), shardReplies));
        }
        context.scheduleOnce(VERSION_RETRY, context.getSelf(), new RetryVersions(run, run.shardVersions));
    }

    private Behavior<Command> onRetryVersions(RetryVersions retry) {
        JobRun run = retry.run();
        if (run == active && run.phase == JobRun.Phase.SYNCING && run.shardVersions == retry.versions()) {
            context.getLog().info("job {}: shards still to report their version; asking again", run.id());
            askVersions(run);
        }
        return this;
    }

    private void startWorkers(JobRun run, long from) {
        List<ActorRef<Worker.Command>> previous = run.workers;
        boolean first = run.membershipEpoch == 0;
        run.workers = new ArrayList<>(chooseWorkers(run));
        run.membershipEpoch++;
        run.phase = JobRun.Phase.RUNNING;
        run.paused = false;
        // Steps before `from` are applied everywhere; an adopted job reports from there on.
        run.nextStepToReport = Math.max(run.nextStepToReport, from);
        if (from >= run.totalSteps) {
            // Adopted after the last step was applied: only the final evaluation is missing.
            run.phase = JobRun.Phase.FINISHING;
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
                    run.workers.size(), run.job.shards(), run.job.strategy(), run.numParams));
        } else {
            context.getLog().info("job {}: membership epoch {}, {} worker(s), from step {}", run.id(),
                    run.membershipEpoch, run.workers.size(), from);
            run.client.tell(new TrainingEvent.MembershipChanged(run.id(), run.membershipEpoch, run.workers.size(), from));
        }
    }

    private Behavior<Command> onStepDone(StepDone done) {
        JobRun run = active;
        if (run == null || !done.jobId().equals(run.id())) return this;
        FlockMetrics.get(context.getSystem()).metrics().recordCompute(done.computeNanos() / 1e9);
        if (!run.record(done.step(), done.microBatches(), done.losses())) return this;
        for (TrainingEvent.StepCompleted ev = run.pollCompletedStep(System.nanoTime()); ev != null;
                ev = run.pollCompletedStep(System.nanoTime())) {
            run.client.tell(ev);
            FlockMetrics.get(context.getSystem()).metrics().recordStep(run.id(), run.job.strategy(),
                    run.job.globalBatch() / ev.samplesPerSecond(), run.job.globalBatch(), ev.loss());
            boolean last = ev.step() == run.totalSteps - 1;
            if (last || run.plan.endsEpoch(ev.step())) evaluate(run, ev.step() + 1, ev.epoch());
            if (last) run.phase = JobRun.Phase.FINISHING;
        }
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
        active = JobRun.adopt(a, a.epoch());
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
        if (done.requester() == null) scheduleCheckpoint(run, r.version());
        return this;
    }

    private Behavior<Command> onGetStatus(GetStatus get) {
        JobRun run = active;
        get.replyTo().tell(run == null ? new JobStatus(null, 0, 0, null, 0, queued.size()) : new JobStatus(run.id(),
                run.nextStepToReport, run.totalSteps, run.job.strategy(), run.workers.size(), queued.size()));
        return this;
    }

    private void evaluate(JobRun run, long version, long epoch) {
        boolean last = version == run.totalSteps;
        context.spawnAnonymous(Evaluator.create(run.assignment(0, version), version, epoch, run.firstVersion, last,
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
        if (run.shardBounds != null) {
            for (int s = 0; s < run.shardBounds.length - 1; s++) {
                ParameterShard.ref(context.getSystem(), run.id(), s).tell(new ParameterShard.Release(run.id()));
            }
        }
        active = null;
        JobRun next = queued.poll();
        if (next != null) prepare(next);
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
