package io.flock.launcher;

import io.flock.actors.api.FlockNode;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingJob;
import io.flock.strategies.ReferenceLoop;
import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Flock's per-step overhead: the same job (model, data, batch plan, optimizer) run by the plain
 * single-process {@link ReferenceLoop} and by a Flock job on one node, each timed over the same
 * measured steps after a warm-up. Flock's time comes from the coordinator's per-step
 * {@link TrainingEvent.StepCompleted} rates, so job start-up and the final evaluation are excluded.
 *
 * @param template the job; its step count is replaced by {@code warmup + steps}
 * @param warmup   steps run but not timed (JIT, ND4J workspaces, first allocations)
 * @param steps    steps timed
 */
record OverheadBenchmark(TrainingJob template, int warmup, int steps) {

    /** Samples per second of the plain loop over {@code train}. */
    double plain(Dataset train) {
        BatchPlan plan = new BatchPlan(template.seed(), train.size(), template.globalBatch(), template.microBatches());
        ReferenceLoop loop = new ReferenceLoop(template.model().build(), train, plan, template.optimizer());
        loop.run(warmup);
        long start = System.nanoTime();
        loop.run(steps);
        return (double) steps * template.globalBatch() / ((System.nanoTime() - start) / 1e9);
    }

    /** Samples per second of the same steps as a Flock job submitted to {@code node}. */
    double flock(FlockNode node, String jobId) throws InterruptedException {
        TrainingJob job = template.toBuilder().jobId(jobId).steps(warmup + steps).workers(1, 1).build();
        List<TrainingEvent.StepCompleted> events = new CopyOnWriteArrayList<>();
        Jobs.await(node.submit(job, e -> {
            if (e instanceof TrainingEvent.StepCompleted s) events.add(s);
        }));
        return throughput(events, warmup, template.globalBatch());
    }

    /**
     * Samples per second over the steps numbered {@code >= warmup}: each event's rate is
     * {@code batch / its step's wall time}, so the measured time is the sum of {@code batch / rate}.
     */
    static double throughput(List<TrainingEvent.StepCompleted> events, int warmup, int batch) {
        double seconds = 0;
        long measured = 0;
        for (TrainingEvent.StepCompleted s : events) {
            if (s.step() < warmup) continue;
            seconds += batch / s.samplesPerSecond();
            measured++;
        }
        if (measured == 0) throw new IllegalArgumentException("no step after the " + warmup + " warm-up steps");
        return measured * batch / seconds;
    }

    /** The median (mean of the middle two for an even count). */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
