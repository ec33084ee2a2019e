package io.flock.actors.coordinator;

import io.flock.strategies.Strategy;
import io.flock.actors.api.SwitchResult;
import io.flock.actors.api.TrainingEvent;
import io.flock.actors.api.TrainingJob;
import io.flock.actors.worker.Assignment;
import io.flock.actors.worker.Worker;
import io.flock.tensor.data.BatchPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The coordinator's bookkeeping for one job: phase, layout, membership view and per-step loss
 * aggregation. Plain mutable state owned by the coordinator actor; no messaging here.
 */
final class JobRun {

    enum Phase {
        PREPARING, INITIALIZING_SHARDS, WAITING_FOR_WORKERS, SYNCING, RUNNING, FINISHING,
        /** Switching: waiting for every worker's {@code Held}. */
        HOLDING,
        /** Switching: the workers run up to {@link #boundary}. */
        DRAINING,
        /** Switching to PS: rank 0 copies its replica into the shards. */
        SEEDING,
        /** Switching: every shard converts (ps-bsp ↔ ps-ssp / ps-asp) at the boundary. */
        SWITCHING_SHARDS,
        /** Forming a collective view: waiting for every chosen worker's {@code MemberReady}. */
        FORMING
    }

    /** A strategy switch in progress. */
    static final class Switch {
        final Strategy from;
        final Strategy target;
        final ActorRef<SwitchResult> replyTo;
        final String reason;
        final long[] held;
        int answers;
        long boundary = -1;

        Switch(Strategy from, Strategy target, ActorRef<SwitchResult> replyTo, String reason, int workers) {
            this.from = from;
            this.target = target;
            this.replyTo = replyTo;
            this.reason = reason;
            this.held = new long[workers];
        }
    }

    /** Losses reported so far for one step, by micro-batch. */
    private static final class StepAgg {
        final double[] losses;
        final boolean[] seen;
        int missing;

        StepAgg(int microBatches) {
            losses = new double[microBatches];
            seen = new boolean[microBatches];
            missing = microBatches;
        }
    }

    final TrainingJob job;
    final ActorRef<TrainingEvent> client;
    Phase phase = Phase.PREPARING;
    /** The strategy in force. */
    Strategy strategy;
    /** The step whose lost losses a worker recomputes (ring/tree, see {@code Worker.RecomputeLosses}); -1: none. */
    long recomputing = -1;
    /** A runtime switch happened: a final ps-ssp check starts at the switch clock, not the first version. */
    boolean switchedSinceStart;
    /** Non-null when the job was submitted with {@code auto}: the policy's measurements. */
    AutoStrategy auto;
    /** The switch in progress, if any. */
    Switch switching;
    /** Forming a collective view: round number, workers asked, and their answers by position. */
    long formRound;
    List<ActorRef<Worker.Command>> forming = List.of();
    Coordinator.MemberReady[] formed;
    /** Forming at a switch boundary (the step is fixed); -1 after a membership change (the replicas decide). */
    long formAt = -1;
    /** The collective view in force: data-plane addresses by rank, and where new members get the replica. */
    String[] peers = new String[0];
    ActorRef<Worker.Command> replicaSource;
    /** On-demand checkpoints waiting for rank 0's copy into the shards (collective strategies). */
    final List<ActorRef<io.flock.actors.checkpoint.CheckpointResult>> checkpointsAwaitingSeed = new ArrayList<>();
    int seedsAnswered;
    BatchPlan plan;
    long totalSteps;
    long numParams;
    long[] shardBounds;
    int shardsInitialized;
    /** Shards that confirmed the job's strategy (ps-ssp / ps-asp jobs switch their shards after Init). */
    int shardsSwitched;
    long membershipEpoch;
    List<ActorRef<Worker.Command>> workers = new ArrayList<>();
    long nextStepToReport;
    /** Version the shards were initialised at: 0, or the step of the checkpoint the job resumed from. */
    long firstVersion;
    /** Per shard, the version reported while SYNCING (-1 = not yet). */
    long[] shardVersions;
    /** Counts re-syncs, so that a retry timer of an earlier one is recognised as stale. */
    long resyncRound;
    boolean paused;
    /** Start from the newest valid checkpoint (set at submit). */
    boolean resume;
    /** Checkpoint writers in flight; stopped when the job ends. */
    final List<ActorRef<?>> checkpointWriters = new ArrayList<>();
    /** Gradient audits in flight (ps-ssp / ps-asp); stopped when the job ends. */
    final List<ActorRef<?>> audits = new ArrayList<>();
    long startNanos;
    long lastStepNanos;
    /** When the job (re)started running: a stall is measured from the later of this and the last step. */
    long phaseSinceNanos = System.nanoTime();
    double lastLoss = Double.NaN;
    double lastAccuracy = Double.NaN;
    private final Map<Long, StepAgg> steps = new HashMap<>();

    JobRun(TrainingJob job, ActorRef<TrainingEvent> client) {
        this.job = job;
        this.client = client;
        this.strategy = job.strategy() == Strategy.AUTO ? Strategy.PS_BSP : job.strategy();
    }

    /**
     * A job adopted from a worker's assignment by a coordinator that took over: shards hold the
     * state; the membership is re-synced from the lowest shard version.
     */
    static JobRun adopt(Assignment a, long highestEpoch, AutoStrategy.Settings autoSettings) {
        JobRun run = new JobRun(a.job(), a.client());
        run.plan = new BatchPlan(a.job().seed(), a.datasetSize(), a.job().globalBatch(), a.job().microBatches());
        run.totalSteps = a.totalSteps();
        run.shardBounds = a.shardBounds();
        run.numParams = a.shardBounds()[a.shardBounds().length - 1];
        run.shardsInitialized = a.job().shards();
        run.membershipEpoch = highestEpoch;
        run.strategy = a.strategy();
        if (a.job().strategy() == Strategy.AUTO) run.auto = new AutoStrategy(autoSettings, run.strategy);
        run.firstVersion = -1; // unknown here: the final check takes it from the shards' logs
        run.startNanos = run.lastStepNanos = System.nanoTime();
        run.phase = Phase.WAITING_FOR_WORKERS;
        return run;
    }

    String id() {
        return job.jobId();
    }

    /** The assignment of the worker at {@code rank} under the current view. */
    Assignment assignment(int rank, long startStep) {
        return new Assignment(job, membershipEpoch, rank, workers.size(), startStep, totalSteps, shardBounds,
                plan.datasetSize(), client, strategy, strategy.collective() ? peers : new String[0],
                strategy.collective() ? replicaSource : null);
    }

    /** Even contiguous split of n parameters into s shards: s + 1 offsets. */
    static long[] split(long n, int s) {
        long[] bounds = new long[s + 1];
        for (int i = 0; i <= s; i++) bounds[i] = n * i / s;
        return bounds;
    }

    /** Records a worker's report; returns true if the next step in order may now be complete. */
    /** Micro-batches of {@code step} not reported yet (all of them if none was). */
    int[] unreported(long step) {
        StepAgg agg = steps.get(step);
        return java.util.stream.IntStream.range(0, job.microBatches())
                .filter(m -> agg == null || !agg.seen[m]).toArray();
    }

    boolean record(long step, int[] microBatches, double[] losses) {
        if (step < nextStepToReport) return false;
        StepAgg agg = steps.computeIfAbsent(step, s -> new StepAgg(job.microBatches()));
        for (int i = 0; i < microBatches.length; i++) {
            int m = microBatches[i];
            if (m >= 0 && m < agg.seen.length && !agg.seen[m]) {
                agg.seen[m] = true;
                agg.losses[m] = losses[i];
                agg.missing--;
            }
        }
        return step == nextStepToReport;
    }

    /**
     * Under ps-ssp / ps-asp: which micro-batches of the steps from {@link #nextStepToReport} on were
     * reported (a worker reports a clock only once every shard acknowledged it); every step below
     * {@link #nextStepToReport} was reported whole.
     */
    Map<Long, boolean[]> reportedAbove() {
        Map<Long, boolean[]> out = new HashMap<>();
        steps.forEach((step, agg) -> {
            if (step >= nextStepToReport) out.put(step, agg.seen.clone());
        });
        return out;
    }

    /**
     * Under ps-ssp / ps-asp, before a re-sync from {@code from}: steps below it are whole on every
     * shard, though some reports may still be on their way (or lost with a worker). Returns their
     * events, with the mean loss of the micro-batches reported (NaN when none was), and moves
     * {@link #nextStepToReport} to {@code from}. Nothing for a job just adopted after a failover:
     * the previous coordinator reported what came before.
     */
    List<TrainingEvent.StepCompleted> completeBelow(long from, long nowNanos) {
        List<TrainingEvent.StepCompleted> done = new ArrayList<>();
        if (firstVersion < 0 && nextStepToReport == 0) return done;
        while (nextStepToReport < from && nextStepToReport < totalSteps) {
            StepAgg agg = steps.remove(nextStepToReport);
            double sum = 0;
            int n = 0;
            for (int m = 0; agg != null && m < agg.seen.length; m++) {
                if (agg.seen[m]) {
                    sum += agg.losses[m];
                    n++;
                }
            }
            double seconds = Math.max(1e-9, (nowNanos - lastStepNanos) / 1e9);
            lastStepNanos = nowNanos;
            lastLoss = n == 0 ? Double.NaN : sum / n;
            long step = nextStepToReport++;
            done.add(new TrainingEvent.StepCompleted(id(), step, plan.epochOf(step), lastLoss,
                    job.globalBatch() / seconds, workers.size()));
        }
        return done;
    }

    /** If the next step in order has all its micro-batches, removes it and returns its event; else null. */
    TrainingEvent.StepCompleted pollCompletedStep(long nowNanos) {
        StepAgg agg = steps.get(nextStepToReport);
        if (agg == null || agg.missing > 0) return null;
        steps.remove(nextStepToReport);
        double seconds = Math.max(1e-9, (nowNanos - lastStepNanos) / 1e9);
        lastStepNanos = nowNanos;
        double sum = 0;
        for (double l : agg.losses) sum += l;
        lastLoss = sum / agg.losses.length;
        long step = nextStepToReport++;
        return new TrainingEvent.StepCompleted(id(), step, plan.epochOf(step), lastLoss,
                job.globalBatch() / seconds, workers.size());
    }
}
