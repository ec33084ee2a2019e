package io.flock.actors.coordinator;

import io.flock.actors.api.JobStatus;
import io.flock.actors.api.TrainingEvent;
import io.flock.actors.api.TrainingJob;
import io.flock.actors.api.TrainingResult;
import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.node.DatasetCache;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.wire.FlockMessage;
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

    /** Run {@code job}, sending its {@link TrainingEvent}s to {@code client}. */
    public record Submit(TrainingJob job, ActorRef<TrainingEvent> client) implements Command {}

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

    /** From an {@link Evaluator} child: accuracy at {@code version}, or an error. */
    record Evaluated(String jobId, long version, long epoch, double accuracy, INDArray params, String error)
            implements Command {}

    private record Prepared(JobRun run, Dataset train, INDArray initialParams, Throwable error) implements Command {}

    private record ShardReplied(ParameterShard.Reply reply) implements Command {}

    private record WorkersChanged(Receptionist.Listing listing) implements Command {}

    private final ActorContext<Command> context;
    private final DatasetCache datasets;
    private final Executor blocking;
    private final Duration evaluationTimeout;
    private final ActorRef<ParameterShard.Reply> shardReplies;
    private final Queue<JobRun> queued = new ArrayDeque<>();
    private List<ActorRef<Worker.Command>> available = List.of();
    private JobRun active;

    private Coordinator(ActorContext<Command> context, DatasetCache datasets) {
        super(context);
        this.context = context;
        this.datasets = datasets;
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig("flock.blocking-dispatcher"));
        this.evaluationTimeout = context.getSystem().settings().config().getDuration("flock.coordinator.evaluation-timeout");
        this.shardReplies = context.messageAdapter(ParameterShard.Reply.class, ShardReplied::new);
        context.getSystem().receptionist().tell(Receptionist.subscribe(Worker.SERVICE_KEY,
                context.messageAdapter(Receptionist.Listing.class, WorkersChanged::new)));
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
                .onMessage(StepDone.class, this::onStepDone)
                .onMessage(Evaluated.class, this::onEvaluated)
                .onMessage(WorkerFailed.class, this::onWorkerFailed)
                .onMessage(GetStatus.class, this::onGetStatus)
                .build();
    }

    private Behavior<Command> onSubmit(Submit submit) {
        JobRun run = new JobRun(submit.job(), submit.client());
        if (active != null) {
            context.getLog().info("job {} queued behind {}", run.id(), active.id());
            queued.add(run);
        } else {
            prepare(run);
        }
        return this;
    }

    /** Loads the dataset and builds the model off the actor thread. */
    private void prepare(JobRun run) {
        active = run;
        TrainingJob job = run.job;
        context.pipeToSelf(CompletableFuture.supplyAsync(() -> {
            Dataset train = datasets.train(job.dataset());
            if (train.inputs() != job.model().inputs() || train.classes() != job.model().classes()) {
                throw new IllegalArgumentException("dataset " + train.name() + " has " + train.inputs() + " inputs and "
                        + train.classes() + " classes but the model expects " + job.model().inputs() + " and "
                        + job.model().classes());
            }
            return new Prepared(run, train, job.model().build().initialParams(), null);
        }, blocking), (prepared, error) -> prepared != null ? prepared : new Prepared(run, null, null, rootCause(error)));
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
        run.numParams = p.initialParams().length();
        run.shardBounds = JobRun.split(run.numParams, job.shards());
        run.phase = JobRun.Phase.INITIALIZING_SHARDS;
        int rows = Math.max(1, job.optimizer().stateRows());
        for (int s = 0; s < job.shards(); s++) {
            long from = run.shardBounds[s];
            long to = run.shardBounds[s + 1];
            INDArray slice = p.initialParams().get(NDArrayIndex.interval(from, to)).dup();
            ParameterShard.ref(context.getSystem(), run.id(), s).tell(new ParameterShard.Init(run.id(), s, slice,
                    Nd4j.zeros(DataType.FLOAT, rows, to - from), job.optimizer(), job.microBatches(), 0, shardReplies));
        }
        return this;
    }

    private Behavior<Command> onShardReplied(ShardReplied msg) {
        JobRun run = active;
        if (run == null || !msg.reply().jobId().equals(run.id())) return this;
        if (msg.reply() instanceof ParameterShard.Initialized && run.phase == JobRun.Phase.INITIALIZING_SHARDS
                && ++run.shardsInitialized == run.job.shards()) {
            run.phase = JobRun.Phase.WAITING_FOR_WORKERS;
            assignWorkers();
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
        JobRun run = active;
        if (run != null && (run.phase == JobRun.Phase.WAITING_FOR_WORKERS
                || (run.phase == JobRun.Phase.RUNNING || run.phase == JobRun.Phase.SYNCING)
                && !chooseWorkers(run).equals(run.workers))) {
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
            startWorkers(run, 0);
            return;
        }
        run.phase = JobRun.Phase.SYNCING;
        run.shardVersions = new long[run.job.shards()];
        java.util.Arrays.fill(run.shardVersions, -1);
        for (int s = 0; s < run.job.shards(); s++) {
            ParameterShard.ref(context.getSystem(), run.id(), s).tell(new ParameterShard.GetVersion(run.id(), shardReplies));
        }
    }

    private void startWorkers(JobRun run, long from) {
        List<ActorRef<Worker.Command>> previous = run.workers;
        boolean first = run.membershipEpoch == 0;
        run.workers = new ArrayList<>(chooseWorkers(run));
        run.membershipEpoch++;
        run.phase = JobRun.Phase.RUNNING;
        run.paused = false;
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

    private Behavior<Command> onWorkerFailed(WorkerFailed failed) {
        if (active == null || !failed.jobId().equals(active.id())) return this;
        return fail(active, "worker " + failed.rank() + " failed: " + failed.reason());
    }

    private Behavior<Command> onGetStatus(GetStatus get) {
        JobRun run = active;
        get.replyTo().tell(run == null ? new JobStatus(null, 0, 0, null, 0, queued.size()) : new JobStatus(run.id(),
                run.nextStepToReport, run.totalSteps, run.job.strategy(), run.workers.size(), queued.size()));
        return this;
    }

    private void evaluate(JobRun run, long version, long epoch) {
        context.spawnAnonymous(Evaluator.create(run.assignment(0, version), version, epoch, datasets,
                context.getSelf(), evaluationTimeout), DispatcherSelector.fromConfig("flock.blocking-dispatcher"));
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
        if (run.shardBounds != null) {
            for (int s = 0; s < run.shardBounds.length - 1; s++) {
                ParameterShard.ref(context.getSystem(), run.id(), s).tell(new ParameterShard.Release(run.id()));
            }
        }
        active = null;
        JobRun next = queued.poll();
        if (next != null) prepare(next);
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }
}
