package io.flock.actors.coordinator;

import io.flock.actors.job.TrainingEvent;
import io.flock.tensor.data.BatchPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The coordinator's bookkeeping of one job's step reports: which micro-batches of which step were
 * reported with which loss, and the next step to announce. Steps are announced once each, in
 * order, when all their micro-batches are in (or, under ps-ssp / ps-asp, when a re-sync proves
 * them whole). Pure state: time comes in as arguments; no messaging here.
 */
final class StepLedger {

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

    private final String jobId;
    private final BatchPlan plan;
    private final long totalSteps;
    /** True for a job adopted by a coordinator that took over: it does not know where the first one stopped. */
    private final boolean adopted;
    private final Map<Long, StepAgg> steps = new HashMap<>();
    private long next;
    private long lastStepNanos;
    private double lastLoss = Double.NaN;

    /**
     * @param next          the first step to announce
     * @param adopted       the job was adopted after a failover (see {@link #completeBelow})
     * @param lastStepNanos the time the step rate of the first announced step is measured from
     */
    StepLedger(String jobId, BatchPlan plan, long totalSteps, long next, boolean adopted, long lastStepNanos) {
        this.jobId = jobId;
        this.plan = plan;
        this.totalSteps = totalSteps;
        this.next = next;
        this.adopted = adopted;
        this.lastStepNanos = lastStepNanos;
    }

    /** The next step to announce: every step below it was announced. */
    long next() {
        return next;
    }

    /** Announces from {@code step} on if it is ahead (steps below it are applied everywhere). */
    void skipTo(long step) {
        next = Math.max(next, step);
    }

    long lastStepNanos() {
        return lastStepNanos;
    }

    /** Measures the next step's rate from {@code nowNanos} (the job starts running). */
    void restartClock(long nowNanos) {
        lastStepNanos = nowNanos;
    }

    /** Mean loss of the last announced step (NaN before the first). */
    double lastLoss() {
        return lastLoss;
    }

    /**
     * Records a worker's report of {@code microBatches} of {@code step}; repeats are ignored.
     * Returns true if the next step in order may now be complete.
     */
    boolean record(long step, int[] microBatches, double[] losses) {
        if (step < next) return false;
        StepAgg agg = steps.computeIfAbsent(step, s -> new StepAgg(plan.microBatches()));
        for (int i = 0; i < microBatches.length; i++) {
            int m = microBatches[i];
            if (m >= 0 && m < agg.seen.length && !agg.seen[m]) {
                agg.seen[m] = true;
                agg.losses[m] = losses[i];
                agg.missing--;
            }
        }
        return step == next;
    }

    /** Micro-batches of {@code step} not reported yet (all of them if none was). */
    int[] unreported(long step) {
        StepAgg agg = steps.get(step);
        return IntStream.range(0, plan.microBatches()).filter(m -> agg == null || !agg.seen[m]).toArray();
    }

    /**
     * Under ps-ssp / ps-asp: which micro-batches of the steps from {@link #next} on were reported
     * (a worker reports a clock only once every shard acknowledged it); every step below
     * {@link #next} was reported whole.
     */
    Map<Long, boolean[]> reportedAbove() {
        Map<Long, boolean[]> out = new HashMap<>();
        steps.forEach((step, agg) -> {
            if (step >= next) out.put(step, agg.seen.clone());
        });
        return out;
    }

    /**
     * Under ps-ssp / ps-asp, before a re-sync from {@code from}: steps below it are whole on every
     * shard, though some reports may still be on their way (or lost with a worker). Returns their
     * events, with the mean loss of the micro-batches reported (NaN when none was), and moves
     * {@link #next} to {@code from}. Nothing for a job just adopted after a failover: the
     * previous coordinator reported what came before.
     */
    List<TrainingEvent.StepCompleted> completeBelow(long from, long nowNanos, int workers) {
        List<TrainingEvent.StepCompleted> done = new ArrayList<>();
        if (adopted && next == 0) return done;
        while (next < from && next < totalSteps) {
            StepAgg agg = steps.remove(next);
            double sum = 0;
            int n = 0;
            for (int m = 0; agg != null && m < agg.seen.length; m++) {
                if (agg.seen[m]) {
                    sum += agg.losses[m];
                    n++;
                }
            }
            done.add(announce(n == 0 ? Double.NaN : sum / n, nowNanos, workers));
        }
        return done;
    }

    /** If the next step in order has all its micro-batches, removes it and returns its event; else null. */
    TrainingEvent.StepCompleted pollCompletedStep(long nowNanos, int workers) {
        StepAgg agg = steps.get(next);
        if (agg == null || agg.missing > 0) return null;
        steps.remove(next);
        double sum = 0;
        for (double l : agg.losses) sum += l;
        return announce(sum / agg.losses.length, nowNanos, workers);
    }

    private TrainingEvent.StepCompleted announce(double loss, long nowNanos, int workers) {
        double seconds = Math.max(1e-9, (nowNanos - lastStepNanos) / 1e9);
        lastStepNanos = nowNanos;
        lastLoss = loss;
        long step = next++;
        return new TrainingEvent.StepCompleted(jobId, step, plan.epochOf(step), lastLoss, plan.globalBatch() / seconds,
                workers);
    }
}
