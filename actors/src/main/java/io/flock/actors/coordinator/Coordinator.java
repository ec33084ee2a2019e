package io.flock.actors.coordinator;

import io.flock.actors.job.JobStatus;
import io.flock.actors.job.SwitchResult;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingJob;
import io.flock.actors.checkpoint.CheckpointResult;
import io.flock.actors.checkpoint.CheckpointStore;
import io.flock.actors.coordinator.JobState.SwitchStep;
import io.flock.tensor.data.DatasetCache;
import io.flock.actors.wire.FlockMessage;
import io.flock.actors.worker.Assignment;
import io.flock.actors.worker.Worker;
import io.flock.actors.worker.WorkerReport;
import io.flock.strategies.Strategy;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
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
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The cluster's coordinator, run as a Cluster Singleton: accepts jobs, seeds their parameter
 * shards, assigns ranks to the workers it discovers through the receptionist, turns worker
 * reports into progress events and has the final parameters evaluated. It is not in the
 * per-step data path: gradients and parameters flow between workers and shards directly.
 * One job trains at a time; later submissions queue. This class keeps the queue, submit,
 * status, checkpoint requests and the membership listeners; the running job is an
 * {@link ActiveJob} with a sealed {@link JobState}, and multi-step protocols run in short-lived
 * children ({@link Resync}, {@link Barrier}, {@link ShardAnswers}).
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


    /** Asks for the active job's progress. */
    public record GetStatus(ActorRef<JobStatus> replyTo) implements Command {}

    /**
     * Switch job {@code jobId} to {@code strategy} at step {@code atStep}, or at the next step
     * boundary if that step is already begun (or {@code atStep} < 0), carrying parameters,
     * optimizer state and step over; answered once the first step under it is assigned.
     */
    public record SwitchStrategy(String jobId, Strategy strategy, long atStep, String reason,
            ActorRef<SwitchResult> replyTo) implements Command {}








    /** Periodic: has the active job committed a step lately? (see {@code flock.coordinator.stall-timeout}) */
    private record CheckProgress(String jobId) implements Command {}

    /** The outcome of a switch the auto policy asked for. */
    record AutoSwitched(SwitchResult result) implements Command {}

    /** From an {@link Evaluator} child: accuracy at {@code version}, or an error. */
    record Evaluated(String jobId, long version, long epoch, double accuracy, INDArray params, String error)
            implements Command {}

    /**
     * From an {@link SspAudit} child: of {@code acknowledged} reported gradients, {@code missing}
     * are not applied on some shard; {@code error} explains a loss or an incomplete audit.
     */
    record SspAudited(String jobId, long epoch, long acknowledged, long missing, int recoveredShards, String error)
            implements Command {}

    /** From a {@link Resync} child: the lowest shard version, or why a shard is lost. */
    record Resynced(String jobId, long ticket, long from, String lost) implements Command {}

    /**
     * From a {@link ShardAnswers} child: every shard confirmed ({@code version}: the last one's),
     * or shard {@code refusedShard} refused for {@code refusal}.
     */
    record ShardsAnswered(String jobId, long ticket, long version, int refusedShard, String refusal)
            implements Command {}

    /** From a {@link Barrier} child: one answer of each worker asked, by slot. */
    record BarrierPassed(String jobId, long ticket, Object[] answers) implements Command {}

    /** The job's starting state, loaded off the actor thread, or why it could not be. */
    private record Prepared(ActiveJob job, JobStart start, Throwable error) implements Command {}

    private record WorkersChanged(Receptionist.Listing listing) implements Command {}

    private record MemberRemoved(ClusterEvent.MemberRemoved event) implements Command {}

    /** A worker's report, through {@link #workerReports}. */
    private record WorkerReported(WorkerReport report) implements Command {}

    private final ActorContext<Command> context;
    private final DatasetCache datasets;
    private final CoordinatorSettings settings;
    private final CoordinatorClock clock;
    private final Executor blocking;
    private final CheckpointStore checkpoints;
    private final Queue<ActiveJob> queued = new ArrayDeque<>();
    /** Where workers send their {@link WorkerReport}s: an adapter to {@link WorkerReported}. */
    private final ActorRef<WorkerReport> workerReports;
    private final ReportRoutes<Behavior<Command>> reportRoutes;
    private List<ActorRef<Worker.Command>> available = List.of();
    private ActiveJob active;
    /** Until the first worker listing arrives and is asked, a job in flight may exist that we do not know. */
    private boolean recovered;

    private Coordinator(ActorContext<Command> context, DatasetCache datasets, CoordinatorSettings settings,
            CoordinatorClock clock) {
        super(context);
        this.context = context;
        this.datasets = datasets;
        this.settings = settings;
        this.clock = clock;
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig("flock.blocking-dispatcher"));
        this.checkpoints = new CheckpointStore(settings.checkpointDir(), settings.checkpointKeep());
        this.workerReports = context.messageAdapter(WorkerReport.class, WorkerReported::new);
        this.reportRoutes = reportRoutes();
        context.getSystem().receptionist().tell(Receptionist.subscribe(Worker.SERVICE_KEY,
                context.messageAdapter(Receptionist.Listing.class, WorkersChanged::new)));
        Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
                context.messageAdapter(ClusterEvent.MemberRemoved.class, MemberRemoved::new),
                ClusterEvent.MemberRemoved.class));
    }

    public static Behavior<Command> create(DatasetCache datasets) {
        return Behaviors.setup(ctx -> new Coordinator(ctx, datasets,
                CoordinatorSettings.fromConfig(ctx.getSystem().settings().config()), CoordinatorClock.SYSTEM));
    }

    /** With explicit settings and clock (tests). */
    public static Behavior<Command> create(DatasetCache datasets, CoordinatorSettings settings, CoordinatorClock clock) {
        return Behaviors.setup(ctx -> new Coordinator(ctx, datasets, settings, clock));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Submit.class, this::onSubmit)
                .onMessage(Prepared.class, this::onPrepared)
                .onMessage(GetStatus.class, this::onGetStatus)
                .onMessage(CheckpointNow.class, this::onCheckpointNow)
                .onMessage(SwitchStrategy.class, this::onSwitchStrategy)
                .onMessage(WorkersChanged.class, this::onWorkersChanged)
                .onMessage(MemberRemoved.class, this::onMemberRemoved)
                .onMessage(WorkerReported.class, this::onWorkerReported)
                .onMessage(CheckProgress.class, this::onCheckProgress)
                .onMessage(AutoSwitched.class, this::onAutoSwitched)
                .onMessage(Resynced.class, m -> toJob(m.jobId(), j -> j.onResynced(m)))
                .onMessage(ShardsAnswered.class, m -> toJob(m.jobId(), j -> j.onShardsAnswered(m)))
                .onMessage(BarrierPassed.class, m -> toJob(m.jobId(), j -> j.onBarrierPassed(m)))
                .onMessage(Evaluated.class, m -> toJob(m.jobId(), j -> j.onEvaluated(m)))
                .onMessage(SspAudited.class, m -> toJob(m.jobId(), j -> j.onSspAudited(m)))
                .onMessage(CheckpointFinished.class, this::onCheckpointFinished)
                .build();
    }

    /** The worker reports' routing table (see {@link ReportRoutes}). */
    private ReportRoutes<Behavior<Command>> reportRoutes() {
        return new ReportRoutes<Behavior<Command>>()
                .on(WorkerReport.AssignmentReport.class, this::onAssignmentReport)
                .on(WorkerReport.CollectiveFailed.class, this::onCollectiveFailed)
                .on(WorkerReport.StepDone.class, m -> toJob(m.jobId(), j -> j.onStepDone(m)))
                .on(WorkerReport.WorkerFailed.class, m -> toJob(m.jobId(),
                        j -> j.recover(new RecoveryPolicy.WorkerFailed(m.rank(), m.reason()))))
                .on(WorkerReport.Held.class, m -> toJob(m.jobId(),
                        j -> j.onSwitchAnswer(SwitchStep.HOLDING, m.epoch(), m.rank(), m.nextStep())))
                .on(WorkerReport.AtBoundary.class, m -> toJob(m.jobId(),
                        j -> j.onSwitchAnswer(SwitchStep.DRAINING, m.epoch(), m.rank(), m.step())))
                .on(WorkerReport.MemberReady.class, m -> toJob(m.jobId(), j -> j.onMemberReady(m)))
                .on(WorkerReport.Echoed.class, m -> toJob(m.jobId(), j -> j.onEchoed(m)))
                .complete();
    }

    private Behavior<Command> onWorkerReported(WorkerReported reported) {
        return reportRoutes.route(reported.report());
    }

    /** Where this coordinator's workers send their reports. */
    ActorRef<WorkerReport> workerReports() {
        return workerReports;
    }

    /** Hands a message of job {@code jobId} to the active job, if it is that job; starts the next one when it ends. */
    private Behavior<Command> toJob(String jobId, Consumer<ActiveJob> handler) {
        ActiveJob job = active;
        if (job == null || !job.id().equals(jobId)) return this;
        handler.accept(job);
        if (job.finished() && active == job) {
            active = null;
            ActiveJob next = queued.poll();
            if (next != null) prepare(next);
        }
        return this;
    }

    // ---- the queue ----

    private Behavior<Command> onSubmit(Submit submit) {
        ActiveJob job = new ActiveJob(context, workerReports, settings, clock, datasets, checkpoints, () -> available, submit.job(),
                submit.client(), submit.resume());
        if (active != null) {
            context.getLog().info("job {} queued behind {}", job.id(), active.id());
            queued.add(job);
        } else {
            prepare(job);
        }
        return this;
    }

    /** Loads the dataset, builds the model and finds the checkpoint to resume from, off the actor thread. */
    private void prepare(ActiveJob job) {
        active = job;
        watchProgress(job.id());
        context.pipeToSelf(CompletableFuture.supplyAsync(() -> JobStart.load(job.job, job.resume, datasets,
                checkpoints), blocking), (start, error) -> new Prepared(job, start, error == null ? null : unwrap(error)));
    }

    private Behavior<Command> onPrepared(Prepared p) {
        return p.job() == active ? toJob(p.job().id(), j -> j.onPrepared(p.start(), p.error())) : this;
    }

    private Behavior<Command> onGetStatus(GetStatus get) {
        ActiveJob job = active;
        get.replyTo().tell(job == null ? new JobStatus(null, 0, 0, null, 0, queued.size()) : new JobStatus(job.id(),
                job.nextStep(), job.totalSteps(), job.strategy(), job.workerCount(), queued.size()));
        return this;
    }

    private Behavior<Command> onCheckpointNow(CheckpointNow ask) {
        ActiveJob job = active;
        if (job == null || !job.id().equals(ask.jobId()) || !job.started()) {
            ask.replyTo().tell(new CheckpointResult(ask.jobId(), -1, "", "no running job " + ask.jobId()));
            return this;
        }
        return toJob(ask.jobId(), j -> j.checkpointNow(ask.replyTo()));
    }

    private Behavior<Command> onCheckpointFinished(CheckpointFinished done) {
        if (done.requester() != null) done.requester().tell(done.result());
        return toJob(done.result().jobId(), j -> j.onCheckpointFinished(done));
    }

    private Behavior<Command> onSwitchStrategy(SwitchStrategy ask) {
        ActiveJob job = active;
        if (job == null || !job.id().equals(ask.jobId())) {
            ask.replyTo().tell(new SwitchResult(ask.jobId(), null, -1, "no running job " + ask.jobId()));
            return this;
        }
        return toJob(ask.jobId(), j -> j.requestSwitch(ask));
    }

    private Behavior<Command> onAutoSwitched(AutoSwitched switched) {
        SwitchResult r = switched.result();
        if (!r.ok()) context.getLog().warn("job {}: the auto policy's switch did not happen: {}", r.jobId(), r.error());
        return this;
    }

    // ---- membership ----

    private Behavior<Command> onWorkersChanged(WorkersChanged msg) {
        available = msg.listing().getServiceInstances(Worker.SERVICE_KEY).stream()
                .sorted(Comparator.comparing(ref -> ref.path().toString()))
                .toList();
        context.getLog().info("{} worker(s) reachable", available.size());
        if (!recovered) {
            recovered = true;
            // A coordinator that took over after a failover knows nothing: ask the workers.
            for (ActorRef<Worker.Command> w : available) w.tell(new Worker.ReportAssignment(workerReports));
        }
        return active == null ? this : toJob(active.id(), j -> j.recover(new RecoveryPolicy.WorkersChanged()));
    }

    /**
     * A node left the cluster: a shard primary on it is re-created elsewhere from its backup and
     * the step in flight may have lost pushes, so the job re-syncs from the lowest shard version
     * even if no worker was on that node.
     */
    private Behavior<Command> onMemberRemoved(MemberRemoved removed) {
        if (active == null) return this;
        return toJob(active.id(), j -> j.recover(new RecoveryPolicy.MemberRemoved(), () -> context.getLog().info(
                "job {}: {} left the cluster; re-syncing", j.id(), removed.event().member().address())));
    }

    private Behavior<Command> onCollectiveFailed(WorkerReport.CollectiveFailed failed) {
        return toJob(failed.jobId(), j -> j.recover(new RecoveryPolicy.CollectiveFailed(failed.epoch()),
                () -> context.getLog().warn("job {}: rank {} could not finish step {}: {}; re-forming the view",
                        j.id(), failed.rank(), failed.step(), failed.reason())));
    }

    /**
     * Adopts the job a worker reports if this coordinator has none (it took over from one that
     * died): the shards still hold the parameters; re-syncing from the lowest shard version
     * resumes it with no step lost or applied twice.
     */
    private Behavior<Command> onAssignmentReport(WorkerReport.AssignmentReport report) {
        Assignment a = report.assignment();
        if (a == null) return this;
        if (active != null) return toJob(a.jobId(), j -> j.noteEpoch(a.epoch()));
        context.getLog().info("adopting job {} from {} (epoch {}, step {})", a.jobId(), report.worker().path(),
                a.epoch(), report.step());
        active = new ActiveJob(context, workerReports, settings, clock, datasets, checkpoints, () -> available, a.job(), a.client(),
                false);
        active.adopt(a);
        return toJob(a.jobId(), j -> j.recover(new RecoveryPolicy.Adopted()));
    }

    // ---- stall detection ----

    private void watchProgress(String jobId) {
        if (!settings.stallTimeout().isZero()) {
            context.scheduleOnce(settings.stallTimeout().dividedBy(3), context.getSelf(), new CheckProgress(jobId));
        }
    }

    /**
     * A running job that committed no step for {@code stall-timeout} is re-synced as after a
     * membership change. Artery delivers at most once: a message lost with a broken connection (a
     * step report, a re-sync answer) that no retry covers would otherwise stall the job forever
     * while every node stays reachable. Pushes and backups have their own retries; this is the net.
     */
    private Behavior<Command> onCheckProgress(CheckProgress check) {
        if (active == null || !active.id().equals(check.jobId())) return this;
        watchProgress(check.jobId());
        return toJob(check.jobId(), ActiveJob::checkProgress);
    }

    /**
     * The failure inside {@code supplyAsync}'s CompletionException. Not the deepest cause: a
     * DatasetException naming file and offset wraps the bare EOFException that triggered it.
     */
    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
        return t;
    }
}
