package io.flock.actors.coordinator;

import io.flock.actors.job.SwitchResult;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingJob;
import io.flock.actors.job.TrainingResult;
import io.flock.actors.checkpoint.CheckpointResult;
import io.flock.actors.checkpoint.CheckpointStore;
import io.flock.actors.coordinator.JobState.Finishing;
import io.flock.actors.coordinator.JobState.Forming;
import io.flock.actors.coordinator.JobState.Preparing;
import io.flock.actors.coordinator.JobState.Resyncing;
import io.flock.actors.coordinator.JobState.Running;
import io.flock.actors.coordinator.JobState.SwitchRequest;
import io.flock.actors.coordinator.JobState.SwitchStep;
import io.flock.actors.coordinator.JobState.Switching;
import io.flock.actors.coordinator.JobState.Waiting;
import io.flock.actors.coordinator.RecoveryPolicy.Decision;
import io.flock.actors.metrics.FlockMetrics;
import io.flock.tensor.data.DatasetCache;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.worker.Assignment;
import io.flock.actors.worker.Worker;
import io.flock.actors.worker.WorkerReport;
import io.flock.strategies.Strategy;
import io.flock.strategies.StrategyDecision;
import io.flock.tensor.data.BatchPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The coordinator's active job: its layout, the view in force, its {@link StepLedger} and its
 * {@link JobState}. It runs on the coordinator's thread (the coordinator routes the job's
 * messages here) and spawns the children that gather answers: {@link ShardAnswers} (shard
 * initialisation, seeding, mode switches), {@link Resync}, {@link Barrier} (view formation, Hold,
 * RunTo), {@link Evaluator}, {@link SspAudit} and {@link CheckpointWriter}. What to do about a
 * disturbance is the pure {@link RecoveryPolicy}'s decision.
 */
final class ActiveJob {

    private static final DispatcherSelector BLOCKING = DispatcherSelector.fromConfig("flock.blocking-dispatcher");

    private final ActorContext<Coordinator.Command> ctx;
    private final CoordinatorSettings settings;
    private final CoordinatorClock clock;
    private final DatasetCache datasets;
    private final CheckpointStore checkpoints;
    private final Supplier<List<ActorRef<Worker.Command>>> available;
    final TrainingJob job;
    final ActorRef<TrainingEvent> client;
    final boolean resume;
    private JobState state = new Preparing(false, -1, null);
    /** The strategy in force. */
    private Strategy strategy;
    private AutoStrategy auto;
    /** A runtime switch happened: a final ps-ssp check starts at the switch clock, not the first version. */
    private boolean switchedSinceStart;
    private BatchPlan plan;
    private long totalSteps;
    private long numParams;
    private long[] shardBounds;
    /** Version the shards were initialised at: 0, a checkpoint's step, or -1 for an adopted job. */
    private long firstVersion;
    private StepLedger ledger;
    private long membershipEpoch;
    private List<ActorRef<Worker.Command>> workers = new ArrayList<>();
    /** The collective view in force: data-plane addresses by rank, and where new members get the replica. */
    private String[] peers = new String[0];
    private ActorRef<Worker.Command> replicaSource;
    /** The step whose lost losses a worker recomputes (ring/tree, see {@code Worker.RecomputeLosses}); -1: none. */
    private long recomputing = -1;
    private long formRound;
    private long tickets;
    private boolean paused;
    private boolean finished;
    private long startNanos;
    /** When the job (re)started running: a stall is measured from the later of this and the last step. */
    private long phaseSinceNanos;
    private double lastAccuracy = Double.NaN;
    /** On-demand checkpoints waiting for rank 0's copy into the shards (collective strategies). */
    private final List<ActorRef<CheckpointResult>> checkpointsAwaitingSeed = new ArrayList<>();
    private long checkpointSeedTicket = -1;
    /** Checkpoint writers and gradient audits in flight; stopped when the job ends. */
    private final List<ActorRef<?>> helpers = new ArrayList<>();
    /** Where this job's workers report (the coordinator's adapter for {@link WorkerReport}). */
    private final ActorRef<WorkerReport> reports;

    ActiveJob(ActorContext<Coordinator.Command> ctx, ActorRef<WorkerReport> reports, CoordinatorSettings settings,
            CoordinatorClock clock,
            DatasetCache datasets, CheckpointStore checkpoints, Supplier<List<ActorRef<Worker.Command>>> available,
            TrainingJob job, ActorRef<TrainingEvent> client, boolean resume) {
        this.ctx = ctx;
        this.reports = reports;
        this.settings = settings;
        this.clock = clock;
        this.datasets = datasets;
        this.checkpoints = checkpoints;
        this.available = available;
        this.job = job;
        this.client = client;
        this.resume = resume;
        this.strategy = job.strategy() == Strategy.AUTO ? Strategy.PS_BSP : job.strategy();
        if (job.strategy() == Strategy.AUTO) auto = new AutoStrategy(settings.auto(), strategy);
        this.phaseSinceNanos = clock.nanos();
    }

    /**
     * A job adopted from a worker's assignment by a coordinator that took over: shards hold the
     * state; {@link RecoveryPolicy.Adopted} re-syncs the membership from the lowest shard version.
     */
    void adopt(Assignment a) {
        plan = new BatchPlan(job.seed(), a.datasetSize(), job.globalBatch(), job.microBatches());
        totalSteps = a.totalSteps();
        shardBounds = a.shardBounds();
        numParams = shardBounds[shardBounds.length - 1];
        membershipEpoch = a.epoch();
        strategy = a.strategy();
        if (auto != null) auto = new AutoStrategy(settings.auto(), strategy);
        firstVersion = -1; // unknown here: the final check takes it from the shards' logs
        startNanos = clock.nanos();
        ledger = new StepLedger(id(), plan, totalSteps, 0, true, startNanos);
        enter(new Waiting(null));
    }

    String id() {
        return job.jobId();
    }

    boolean finished() {
        return finished;
    }

    boolean started() {
        return plan != null;
    }

    Strategy strategy() {
        return strategy;
    }

    long nextStep() {
        return ledger == null ? 0 : ledger.next();
    }

    long totalSteps() {
        return totalSteps;
    }

    int workerCount() {
        return workers.size();
    }

    // ---- preparing ----

    void onPrepared(JobStart start, Throwable error) {
        if (error != null) {
            fail("cannot start: " + error.getMessage());
            return;
        }
        try {
            plan = new BatchPlan(job.seed(), start.train().size(), job.globalBatch(), job.microBatches());
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
            return;
        }
        totalSteps = job.steps() > 0 ? job.steps() : job.epochs() * plan.stepsPerEpoch();
        numParams = start.params().length();
        shardBounds = split(numParams, job.shards());
        firstVersion = start.version();
        ledger = new StepLedger(id(), plan, totalSteps, firstVersion, false, 0);
        if (start.restored() != null) reportRestore(start.restored());
        initShards(start);
    }

    private void reportRestore(CheckpointStore.Found found) {
        found.rejected().forEach(r -> ctx.getLog().warn("job {}: skipping checkpoint: {}", id(), r));
        if (found.checkpoint() == null) {
            ctx.getLog().info("job {}: no usable checkpoint in {}, starting from step 0", id(), checkpoints.dir());
        } else {
            ctx.getLog().info("job {}: resuming from {} (step {})", id(), found.file(), found.checkpoint().version());
        }
        client.tell(new TrainingEvent.Restored(id(), firstVersion, found.file() == null ? "" : found.file().toString(),
                found.rejected().toArray(String[]::new)));
    }

    /** Sends each shard its slice of the starting parameters and optimizer state. */
    private void initShards(JobStart start) {
        INDArray[] slices = new INDArray[job.shards()];
        INDArray[] states = new INDArray[job.shards()];
        for (int s = 0; s < job.shards(); s++) {
            slices[s] = start.params().get(NDArrayIndex.interval(shardBounds[s], shardBounds[s + 1])).dup();
            states[s] = start.optimizerState().get(NDArrayIndex.all(),
                    NDArrayIndex.interval(shardBounds[s], shardBounds[s + 1])).dup();
        }
        long version = start.version();
        enter(askShards(false, replies -> {
            for (int s = 0; s < slices.length; s++) {
                shard(s).tell(new ParameterShard.Init(id(), s, slices[s], states[s], job.optimizer(),
                        job.microBatches(), version, replies));
            }
        }));
    }

    private Preparing askShards(boolean switching, java.util.function.Consumer<ActorRef<ParameterShard.Reply>> ask) {
        long t = ++tickets;
        return new Preparing(switching, t, ctx.spawnAnonymous(ShardAnswers.create(id(), t, job.shards(), ask,
                ctx.getSelf())));
    }

    /** Sends {@code strategy} (from {@code atClock}) to every shard, answers to {@code replies}. */
    private void switchShards(Strategy mode, long atClock, ActorRef<ParameterShard.Reply> replies) {
        for (int s = 0; s < job.shards(); s++) {
            shard(s).tell(new ParameterShard.SwitchStrategy(id(), mode, job.staleness(), atClock, replies));
        }
    }

    void onShardsAnswered(Coordinator.ShardsAnswered a) {
        if (a.ticket() == checkpointSeedTicket) {
            seededForCheckpoints(a.version());
        } else if (a.ticket() == state.ticket() && state instanceof Preparing p) {
            shardsPrepared(p, a);
        } else if (a.ticket() == state.ticket() && state instanceof Switching s) {
            if (s.step() == SwitchStep.SEEDING) {
                strategy = Strategy.PS_BSP; // the shards hold the state again, as ps-bsp shards
                switchShardsThenStart(s.request(), s.boundary());
            } else {
                shardsSwitched(s, a);
            }
        }
    }

    /** ps-ssp / ps-asp jobs: after Init every shard switches to the job's strategy, then workers start. */
    private void shardsPrepared(Preparing p, Coordinator.ShardsAnswered a) {
        if (a.refusal() != null) {
            fail(a.refusal());
        } else if (!p.switchingShards() && Families.appliesOnArrival(strategy)) {
            enter(askShards(true, replies -> switchShards(strategy, firstVersion, replies)));
        } else {
            enter(new Waiting(null));
            recover(new RecoveryPolicy.ShardsReady());
        }
    }

    // ---- recovery ----

    /** Hands {@code cause} to the {@link RecoveryPolicy} and carries out its decision. */
    void recover(RecoveryPolicy.Cause cause) {
        recover(cause, () -> {});
    }

    /** Like {@link #recover(RecoveryPolicy.Cause)}, running {@code first} (a log line) unless the policy ignores it. */
    void recover(RecoveryPolicy.Cause cause, Runnable first) {
        RecoveryPolicy.Situation s = situation();
        Decision d = RecoveryPolicy.decide(cause, s);
        if (d.ignored()) return;
        first.run();
        if (cause.stall()) phaseSinceNanos = clock.nanos();
        SwitchRequest pending = state.pendingSwitch();
        if (pending != null && RecoveryPolicy.abandonsSwitch(s, d)) {
            abortSwitch(pending, "the membership changed during the switch; try again");
            pending = null;
        }
        if (d.startsView() && membershipEpoch == 0) scheduleCheckpoint(firstVersion);
        d.carryOut(actions(pending));
    }

    /** How this job carries out the policy's decisions; {@code pending}: a switch still to finish. */
    private RecoveryPolicy.Actions actions(SwitchRequest pending) {
        return new RecoveryPolicy.Actions() {
            @Override
            public void pause(boolean tellClient) {
                ActiveJob.this.pause(tellClient, pending);
            }

            @Override
            public void resync() {
                ActiveJob.this.resync(null);
            }

            @Override
            public void reform(long at) {
                form(at, pending);
            }

            @Override
            public void startFrom(long step) {
                startWorkers(step, chooseWorkers(), null);
            }

            @Override
            public void fail(String reason) {
                ActiveJob.this.fail(reason);
            }
        };
    }

    private RecoveryPolicy.Situation situation() {
        List<ActorRef<Worker.Command>> chosen = chooseWorkers();
        boolean forming = state instanceof Forming;
        boolean viewChanged = !chosen.equals(forming ? ((Forming) state).members() : workers);
        boolean seeding = state instanceof Switching sw && sw.step() == SwitchStep.SEEDING;
        return new RecoveryPolicy.Situation(state.stage(), Families.family(strategy), seeding, chosen.size(),
                job.minWorkers(), viewChanged, membershipEpoch, paused, forming ? ((Forming) state).at() : -1,
                firstVersion);
    }

    private void pause(boolean notify, SwitchRequest pending) {
        List<ActorRef<Worker.Command>> chosen = chooseWorkers();
        ctx.getLog().info("job {} waits for workers: {} of at least {}", id(), chosen.size(), job.minWorkers());
        enter(new Waiting(pending));
        if (notify) {
            paused = true;
            client.tell(new TrainingEvent.Paused(id(), nextStep(), chosen.size(), job.minWorkers()));
        }
    }

    /** The reachable workers that should train the job: the first maxWorkers by path. */
    private List<ActorRef<Worker.Command>> chooseWorkers() {
        List<ActorRef<Worker.Command>> all = available.get();
        return all.subList(0, Math.min(all.size(), job.maxWorkers()));
    }

    /** A worker reported an assignment of this job from a later view than we know (after a failover). */
    void noteEpoch(long epoch) {
        if (epoch > membershipEpoch) membershipEpoch = epoch;
    }

    /** Re-syncs from the lowest shard version; {@code members}: the collective view to start then. */
    private void resync(List<ActorRef<Worker.Command>> members) {
        long t = ++tickets;
        enter(new Resyncing(t, members, ctx.spawnAnonymous(Resync.create(id(), t, job.shards(),
                settings.resyncRetry(), ctx.getSelf()))));
        if (Families.appliesOnArrival(strategy)) audit();
    }

    void onResynced(Coordinator.Resynced r) {
        if (!(state instanceof Resyncing rs) || r.ticket() != rs.ticket()) return;
        if (r.lost() != null) fail(r.lost());
        else startWorkers(r.from(), rs.members() != null ? rs.members() : chooseWorkers(), null);
    }

    /** Checks a running job's progress; a stall re-syncs it. */
    void checkProgress() {
        long idle = clock.nanos() - Math.max(ledger == null ? 0 : ledger.lastStepNanos(), phaseSinceNanos);
        recover(new RecoveryPolicy.Stalled(idle, settings.stallTimeout().toNanos()), () -> ctx.getLog().warn(
                "job {}: no step committed for {} s (at step {}); re-syncing", id(), idle / 1_000_000_000, nextStep()));
    }

    // ---- starting a view ----

    /**
     * Starts the view of {@code members} at {@code from}: steps before it are applied everywhere.
     * Under ps-ssp / ps-asp the steps below are reported whole first.
     */
    private void startWorkers(long from, List<ActorRef<Worker.Command>> members, SwitchRequest pending) {
        List<ActorRef<Worker.Command>> previous = workers;
        boolean first = membershipEpoch == 0;
        workers = new ArrayList<>(members);
        membershipEpoch++;
        enter(new Running());
        phaseSinceNanos = clock.nanos();
        paused = false;
        if (Families.appliesOnArrival(strategy)) reportWholeBelow(from);
        // An adopted job reports from `from` on (under ring/tree the step before `from` may still
        // be reported: its losses are being recomputed).
        ledger.skipTo(recomputing == from - 1 ? from - 1 : from);
        recomputing = -1;
        if (from >= totalSteps) {
            // Adopted after the last step was applied: only the final evaluation is missing
            // (under ring/tree rank 0 copies its replica into the shards for it when assigned).
            enter(new Finishing());
            if (Families.replicated(strategy)) workers.get(0).tell(new Worker.Assign(assignment(0, from), reports));
            evaluate(totalSteps, plan.epochOf(totalSteps - 1));
            return;
        }
        for (int rank = 0; rank < workers.size(); rank++) {
            workers.get(rank).tell(new Worker.Assign(assignment(rank, from), reports));
        }
        for (ActorRef<Worker.Command> w : previous) {
            if (!workers.contains(w)) w.tell(new Worker.Release(id()));
        }
        announceView(first, from);
        if (pending != null) finishSwitch(pending, from);
        if (auto != null) auto.membershipChanged();
    }

    private void announceView(boolean first, long from) {
        if (first) {
            startNanos = clock.nanos();
            ledger.restartClock(startNanos);
            client.tell(new TrainingEvent.Started(id(), from, totalSteps, plan.stepsPerEpoch(), workers.size(),
                    job.shards(), strategy, numParams));
        } else {
            ctx.getLog().info("job {}: membership epoch {}, {} worker(s), from step {}", id(), membershipEpoch,
                    workers.size(), from);
            client.tell(new TrainingEvent.MembershipChanged(id(), membershipEpoch, workers.size(), from));
        }
    }

    /** The assignment of the worker at {@code rank} under the current view. */
    private Assignment assignment(int rank, long startStep) {
        boolean replicated = Families.replicated(strategy);
        return new Assignment(job, membershipEpoch, rank, workers.size(), startStep, totalSteps, shardBounds,
                plan.datasetSize(), client, strategy, replicated ? peers : new String[0],
                replicated ? replicaSource : null);
    }

    // ---- collective views ----

    /**
     * Forms a collective view of the chosen workers: each stops, aborts the old view's
     * all-reduce and reports its data-plane address and replica version. {@code at} >= 0 fixes the
     * start step (job start, switch boundary); -1 resumes from the newest replica any survivor
     * holds (roll forward: its step was all-reduced by everyone, so it is the trajectory's).
     */
    private void form(long at, SwitchRequest pending) {
        long round = ++formRound;
        List<ActorRef<Worker.Command>> members = new ArrayList<>(chooseWorkers());
        long t = ++tickets;
        enter(new Forming(at, round, members, t, ctx.spawnAnonymous(Barrier.create(id(), t, members.size(), false,
                ctx.getSelf())), pending));
        for (ActorRef<Worker.Command> w : members) {
            w.tell(new Worker.Prepare(id(), membershipEpoch + 1, round, reports));
        }
    }

    @SuppressWarnings("unchecked")
    void onMemberReady(WorkerReport.MemberReady p) {
        if (!(state instanceof Forming f) || p.round() != f.round()) return;
        int slot = f.members().indexOf(p.worker());
        if (slot >= 0) ((ActorRef<Barrier.Msg>) f.child()).tell(new Barrier.Answer(slot, p));
    }

    private void viewFormed(Forming f, Object[] answers) {
        WorkerReport.MemberReady[] formed = Arrays.copyOf(answers, answers.length, WorkerReport.MemberReady[].class);
        WorkerReport.MemberReady newest = Arrays.stream(formed)
                .max(Comparator.comparingLong(WorkerReport.MemberReady::replicaVersion)).orElseThrow();
        peers = Arrays.stream(formed).map(WorkerReport.MemberReady::address).toArray(String[]::new);
        long from = f.at() >= 0 ? f.at() : newest.replicaVersion();
        replicaSource = newest.replicaVersion() == from ? newest.worker() : null;
        if (f.at() < 0 && from > 0) recomputeLastLosses(from);
        if (from < 0) {
            // No replica survived: the shards hold the last copy rank 0 made (epoch end, checkpoint).
            ctx.getLog().warn("job {}: no worker holds a replica; resuming from the shards' copy", id());
            resync(f.members());
        } else {
            startWorkers(from, f.members(), f.pendingSwitch());
        }
    }

    /**
     * The last step rolled forward to may have lost a report with a dead worker (or with the dead
     * coordinator): the replica's previous parameters give the losses back (same inputs, same
     * bits); a client that saw the step already drops the repeat.
     */
    private void recomputeLastLosses(long from) {
        boolean adopted = firstVersion < 0 && ledger.next() < from;
        if (replicaSource == null || ledger.next() != from - 1 && !adopted) return;
        int[] missing = ledger.unreported(from - 1);
        if (missing.length > 0) {
            recomputing = from - 1;
            replicaSource.tell(new Worker.RecomputeLosses(id(), from - 1, missing, reports));
        }
    }

    void onBarrierPassed(Coordinator.BarrierPassed b) {
        if (b.ticket() != state.ticket()) return;
        if (state instanceof Forming f) viewFormed(f, b.answers());
        else if (state instanceof Switching s && s.step() == SwitchStep.HOLDING) allHeld(s, b.answers());
        else if (state instanceof Switching s && s.step() == SwitchStep.DRAINING) allAtBoundary(s);
    }

    // ---- strategy switching (docs/switching.md) ----

    void requestSwitch(Coordinator.SwitchStrategy ask) {
        String refused = !ask.strategy().concrete() ? "strategy " + ask.strategy().id()
                + " cannot be switched to in this build"
                : state.pendingSwitch() != null ? "a switch to " + state.pendingSwitch().target().id() + " is in progress"
                : !(state instanceof Running) ? "job " + id() + " is " + state.describe() + ", not running; try again"
                : null;
        if (refused != null) {
            ask.replyTo().tell(new SwitchResult(ask.jobId(), strategy, -1, refused));
        } else if (ask.strategy() == strategy) {
            ask.replyTo().tell(new SwitchResult(id(), strategy, nextStep(), null));
        } else {
            ctx.getLog().info("job {}: switching from {} to {} ({})", id(), strategy.id(), ask.strategy().id(),
                    ask.reason());
            SwitchRequest request = new SwitchRequest(strategy, ask.strategy(), ask.replyTo(), ask.reason());
            enter(switchStep(request, SwitchStep.HOLDING, Math.min(ask.atStep(), totalSteps)));
            workers.forEach(w -> w.tell(new Worker.Hold(id(), membershipEpoch)));
        }
    }

    private Switching switchStep(SwitchRequest request, SwitchStep step, long boundary) {
        long t = ++tickets;
        return new Switching(request, step, boundary, t, ctx.spawnAnonymous(Barrier.create(id(), t, workers.size(),
                true, ctx.getSelf())));
    }

    /** A worker's {@code Held} or {@code AtBoundary} for the switch step {@code step} of view {@code epoch}. */
    @SuppressWarnings("unchecked")
    void onSwitchAnswer(SwitchStep step, long epoch, int rank, long value) {
        if (state instanceof Switching s && s.step() == step && epoch == membershipEpoch) {
            ((ActorRef<Barrier.Msg>) s.child()).tell(new Barrier.Answer(rank, value));
        }
    }

    /** Workers differ by at most one step; all run to the furthest one begun. */
    private void allHeld(Switching s, Object[] held) {
        long boundary = s.boundary();
        for (Object next : held) boundary = Math.max(boundary, (Long) next);
        long at = boundary;
        enter(switchStep(s.request(), SwitchStep.DRAINING, at));
        workers.forEach(w -> w.tell(new Worker.RunTo(id(), membershipEpoch, at)));
    }

    private void allAtBoundary(Switching s) {
        if (s.boundary() >= totalSteps) {
            enter(new Running());
            finishSwitch(s.request(), totalSteps); // nothing left to train under the new strategy
        } else if (Families.replicated(strategy) && !Families.replicated(s.request().target())) {
            long t = ++tickets;
            ActorRef<Worker.Command> rank0 = workers.get(0);
            enter(new Switching(s.request(), SwitchStep.SEEDING, s.boundary(), t, ctx.spawnAnonymous(
                    ShardAnswers.create(id(), t, job.shards(), r -> rank0.tell(new Worker.SeedShards(id(), r)),
                            ctx.getSelf()))));
        } else {
            switchShardsThenStart(s.request(), s.boundary());
        }
    }

    /**
     * At the boundary, with the shards holding the state (PS all along, or just seeded): puts the
     * shards in the mode the target needs — ps-bsp for ring/tree (the members read their replica
     * from BSP snapshots), the target itself otherwise — then starts the new view.
     */
    private void switchShardsThenStart(SwitchRequest request, long boundary) {
        Strategy wanted = Families.shardMode(request.target());
        if (Families.shardMode(strategy) != wanted) {
            long t = ++tickets;
            enter(new Switching(request, SwitchStep.SWITCHING_SHARDS, boundary, t, ctx.spawnAnonymous(
                    ShardAnswers.create(id(), t, job.shards(), r -> switchShards(wanted, boundary, r),
                            ctx.getSelf()))));
            return;
        }
        strategy = request.target();
        switchedSinceStart = true;
        if (Families.replicated(request.target())) form(boundary, request);
        else startWorkers(boundary, chooseWorkers(), request);
    }

    private void shardsSwitched(Switching s, Coordinator.ShardsAnswered a) {
        if (a.refusal() != null) {
            abortSwitch(s.request(), "shard " + a.refusedShard() + " refused: " + a.refusal());
            enter(new Running()); // the switch is over; the workers are re-assigned
            recover(new RecoveryPolicy.SwitchAbandoned());
        } else {
            strategy = Families.shardMode(s.request().target());
            switchShardsThenStart(s.request(), s.boundary()); // the shards are where the target wants them now
        }
    }

    private void finishSwitch(SwitchRequest sw, long atStep) {
        ctx.getLog().info("job {}: {} from step {}", id(), sw.target().id(), atStep);
        client.tell(new TrainingEvent.StrategyChanged(id(), sw.from(), sw.target(), atStep, sw.reason()));
        sw.replyTo().tell(new SwitchResult(id(), sw.target(), atStep, null));
    }

    private void abortSwitch(SwitchRequest sw, String why) {
        ctx.getLog().warn("job {}: switch to {} abandoned: {}", id(), sw.target().id(), why);
        sw.replyTo().tell(new SwitchResult(id(), strategy, -1, why));
    }

    // ---- steps ----

    void onStepDone(WorkerReport.StepDone done) {
        FlockMetrics.get(ctx.getSystem()).metrics().recordCompute(done.computeNanos() / 1e9);
        if (auto != null && done.epoch() == membershipEpoch && done.computeNanos() > 0) {
            auto.recordCompute(done.rank(), done.computeNanos() / 1e9);
        }
        if (ledger == null || !ledger.record(done.step(), done.microBatches(), done.losses())) return;
        for (TrainingEvent.StepCompleted ev = ledger.pollCompletedStep(clock.nanos(), workers.size()); ev != null;
                ev = ledger.pollCompletedStep(clock.nanos(), workers.size())) {
            stepCompleted(ev);
            boolean last = ev.step() == totalSteps - 1;
            if (last || plan.endsEpoch(ev.step())) evaluate(ev.step() + 1, ev.epoch());
            if (last) enter(new Finishing());
            else if (auto != null && auto.due(ev.step())) evaluateAuto(ev.step());
        }
    }

    /** Tells the client and the metrics; the metrics record the strategy in force (not {@code auto}). */
    private void stepCompleted(TrainingEvent.StepCompleted ev) {
        client.tell(ev);
        FlockMetrics.get(ctx.getSystem()).metrics().recordStep(id(), strategy,
                job.globalBatch() / ev.samplesPerSecond(), job.globalBatch(), ev.loss());
    }

    /**
     * Under ps-ssp / ps-asp, before re-syncing from {@code from}: clocks below it are whole on every
     * shard, so they are reported now even if a worker's report is still on its way or was lost.
     */
    private void reportWholeBelow(long from) {
        for (TrainingEvent.StepCompleted ev : ledger.completeBelow(from, clock.nanos(), workers.size())) {
            stepCompleted(ev);
            if (plan.endsEpoch(ev.step()) && ev.step() < totalSteps - 1) evaluate(ev.step() + 1, ev.epoch());
        }
    }

    // ---- auto ----

    /**
     * Probes the link to the workers (timed transfers of a few sizes, for the fit of the next
     * evaluation) and evaluates the policy on what is measured so far; a decision to switch is
     * reported as an event and carried out like a requested switch.
     */
    private void evaluateAuto(long step) {
        for (ActorRef<Worker.Command> w : workers) {
            for (INDArray probe : auto.probes()) w.tell(new Worker.Echo(id(), probe, clock.nanos(), reports));
        }
        if (!(state instanceof Running)) return;
        AutoStrategy.Evaluation e = auto.evaluate(step, workers.size(), numParams * 4, job.shards(),
                job.microBatches(), strategy);
        if (e == null) return;
        if (e.decision() instanceof StrategyDecision.SwitchTo to) {
            String reason = "auto: " + to.reason() + "; " + e.summary();
            ctx.getLog().info("job {} at step {}: {}", id(), step, reason);
            client.tell(new TrainingEvent.StrategyDecided(id(), step, strategy, to.strategy(), reason));
            ctx.getSelf().tell(new Coordinator.SwitchStrategy(id(), to.strategy(), to.atStep(), reason,
                    ctx.messageAdapter(SwitchResult.class, Coordinator.AutoSwitched::new)));
        } else {
            ctx.getLog().debug("job {} at step {}: auto keeps {}: {}", id(), step, strategy.id(), e.summary());
            client.tell(new TrainingEvent.StrategyDecided(id(), step, strategy, strategy, "auto: keep; " + e.summary()));
        }
    }

    void onEchoed(WorkerReport.Echoed echoed) {
        if (auto != null) auto.recordTransfer(echoed.bytes(), (clock.nanos() - echoed.sentNanos()) / 1e9);
    }

    // ---- checkpoints ----

    /** Schedules the next periodic checkpoint after {@code after} steps, if the job has them. */
    private void scheduleCheckpoint(long after) {
        long every = job.checkpointEvery();
        if (every <= 0) return;
        long at = (after / every + 1) * every;
        if (at <= totalSteps) writeCheckpoint(at, null);
    }

    private void writeCheckpoint(long version, ActorRef<CheckpointResult> requester) {
        helpers.add(ctx.spawnAnonymous(CheckpointWriter.create(assignment(0, version), version, checkpoints,
                ctx.getSelf(), requester, settings.checkpointTimeout(), clock.millis()), BLOCKING));
    }

    void checkpointNow(ActorRef<CheckpointResult> replyTo) {
        if (Families.replicated(strategy) && state instanceof Running && !workers.isEmpty()) {
            // The shards hold no live state under ring/tree: rank 0 copies its replica in first.
            if (checkpointsAwaitingSeed.isEmpty()) {
                checkpointSeedTicket = ++tickets;
                ActorRef<Worker.Command> rank0 = workers.get(0);
                helpers.add(ctx.spawnAnonymous(ShardAnswers.create(id(), checkpointSeedTicket, job.shards(),
                        r -> rank0.tell(new Worker.SeedShards(id(), r)), ctx.getSelf())));
            }
            checkpointsAwaitingSeed.add(replyTo);
        } else {
            writeCheckpoint(Math.min(totalSteps, nextStep() + 1), replyTo);
        }
    }

    private void seededForCheckpoints(long version) {
        checkpointSeedTicket = -1;
        for (ActorRef<CheckpointResult> requester : checkpointsAwaitingSeed) writeCheckpoint(version, requester);
        checkpointsAwaitingSeed.clear();
    }

    void onCheckpointFinished(Coordinator.CheckpointFinished done) {
        CheckpointResult r = done.result();
        if (r.ok()) {
            ctx.getLog().info("job {}: checkpoint after step {} written to {}", id(), r.version(), r.path());
            client.tell(new TrainingEvent.CheckpointWritten(id(), r.version(), r.path()));
            FlockMetrics.get(ctx.getSystem()).metrics().recordCheckpoint(id(), clock.nowMillis());
        } else {
            ctx.getLog().warn("job {}: checkpoint failed: {}", id(), r.error());
        }
        // The next multiple of checkpoint-every still ahead of training (a fast job may be past the next one).
        if (done.requester() == null) scheduleCheckpoint(Math.max(r.version(), nextStep() + 1));
    }

    // ---- evaluation, audits, the end ----

    private void evaluate(long version, long epoch) {
        boolean last = version == totalSteps;
        // After a runtime switch into ps-ssp / ps-asp the shards' SSP record starts at the switch clock.
        long first = switchedSinceStart && Families.appliesOnArrival(strategy) ? -1 : firstVersion;
        ctx.spawnAnonymous(Evaluator.create(assignment(0, version), version, epoch, first, last, datasets,
                ctx.getSelf(), settings.evaluationTimeout()), BLOCKING);
    }

    void onEvaluated(Coordinator.Evaluated ev) {
        boolean last = ev.version() == totalSteps;
        if (ev.error() != null) {
            if (last) fail(ev.error());
            else ctx.getLog().warn("job {}: evaluation at step {} failed: {}", id(), ev.version(), ev.error());
            return;
        }
        lastAccuracy = ev.accuracy();
        if (plan.endsEpoch(ev.version() - 1)) {
            client.tell(new TrainingEvent.EpochCompleted(id(), ev.epoch(), ev.version(), ev.accuracy()));
        }
        if (last) complete(ev.params());
    }

    /** Under ps-ssp / ps-asp at a re-sync: checks that every reported (acknowledged) gradient is applied on every shard. */
    private void audit() {
        helpers.add(ctx.spawnAnonymous(SspAudit.create(assignment(0, nextStep()), firstVersion, nextStep(),
                ledger.reportedAbove(), ctx.getSelf(), settings.evaluationTimeout(), settings.resyncRetry(),
                clock.nanoTime())));
    }

    void onSspAudited(Coordinator.SspAudited audited) {
        if (audited.missing() == 0 && audited.error() != null) {
            ctx.getLog().warn("job {}: gradient audit incomplete: {}", id(), audited.error());
            return;
        }
        ctx.getLog().info("job {}: {} acknowledged gradient(s) checked on every shard, {} missing", id(),
                audited.acknowledged(), audited.missing());
        client.tell(new TrainingEvent.GradientsAudited(id(), audited.epoch(), audited.acknowledged(),
                audited.missing(), audited.recoveredShards()));
        if (audited.missing() > 0) fail(audited.missing() + " acknowledged gradient(s) lost: " + audited.error());
    }

    private void complete(INDArray params) {
        long elapsedNanos = ledger.lastStepNanos() - startNanos;
        double samplesPerSecond = totalSteps * job.globalBatch() / Math.max(1e-9, elapsedNanos / 1e9);
        TrainingResult result = new TrainingResult(id(), totalSteps, ledger.lastLoss(), lastAccuracy, params,
                elapsedNanos / 1_000_000, samplesPerSecond);
        ctx.getLog().info("job {} completed: {} steps, loss {}, test accuracy {}", id(), totalSteps,
                ledger.lastLoss(), lastAccuracy);
        client.tell(new TrainingEvent.Completed(id(), result));
        finish();
    }

    void fail(String reason) {
        ctx.getLog().warn("job {} failed: {}", id(), reason);
        client.tell(new TrainingEvent.Failed(id(), reason));
        finish();
    }

    /** Releases workers and shards; the coordinator then starts the next queued job. */
    private void finish() {
        for (ActorRef<Worker.Command> w : workers) w.tell(new Worker.Release(id()));
        helpers.forEach(ctx::stop);
        enter(new Finishing());
        if (shardBounds != null) {
            for (int s = 0; s < shardBounds.length - 1; s++) shard(s).tell(new ParameterShard.Release(id()));
        }
        finished = true;
    }

    /** Moves to {@code next}, stopping the child of the state left behind. */
    private void enter(JobState next) {
        ActorRef<?> child = state.child();
        if (child != null && child != next.child()) ctx.stop(child);
        state = next;
    }

    private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<ParameterShard.Command> shard(int s) {
        return ParameterShard.ref(ctx.getSystem(), id(), s);
    }

    /** Even contiguous split of n parameters into s shards: s + 1 offsets. */
    static long[] split(long n, int s) {
        long[] bounds = new long[s + 1];
        for (int i = 0; i <= s; i++) bounds[i] = n * i / s;
        return bounds;
    }
}
