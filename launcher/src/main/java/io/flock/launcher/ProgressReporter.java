package io.flock.launcher;

import io.flock.actors.job.TrainingEvent;
import java.io.PrintWriter;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Renders a job's {@link TrainingEvent}s for a person: on a terminal a single progress line on
 * stderr redrawn with {@code \r}; otherwise one line per ~5% of the steps. Epoch accuracies go to
 * stdout, and so does where a resumed job restarted from. Called on one actor thread at a time, in
 * event order.
 */
final class ProgressReporter implements Consumer<TrainingEvent> {

    private static final int BAR_WIDTH = 24;
    private static final int NON_INTERACTIVE_LINES = 20;
    private static final double EMA_WEIGHT = 0.1;

    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean interactive;
    private final LongSupplier nanoClock;
    private long totalSteps = 1;
    private long stepsPerEpoch = 1;
    private long startNanos;
    private long firstStep;
    private long nextLineStep;
    private double samplesPerSecond = Double.NaN;
    private boolean lineOpen;

    /**
     * @param interactive true to redraw one line (a terminal), false for periodic lines (logs, pipes)
     * @param nanoClock   time source, {@code System::nanoTime} outside tests
     */
    ProgressReporter(PrintWriter out, PrintWriter err, boolean interactive, LongSupplier nanoClock) {
        this.out = out;
        this.err = err;
        this.interactive = interactive;
        this.nanoClock = nanoClock;
    }

    @Override
    public void accept(TrainingEvent event) {
        if (event instanceof TrainingEvent.Started s) onStarted(s);
        else if (event instanceof TrainingEvent.StepCompleted s) onStep(s);
        else if (event instanceof TrainingEvent.EpochCompleted e) onEpoch(e);
        else if (event instanceof TrainingEvent.Restored r) onRestored(r);
        else closeLine();
    }

    private void onStarted(TrainingEvent.Started s) {
        totalSteps = Math.max(1, s.totalSteps());
        stepsPerEpoch = Math.max(1, s.stepsPerEpoch());
        startNanos = nanoClock.getAsLong();
        firstStep = s.firstStep();
        nextLineStep = firstStep;
        out.printf("Job %s started: %d worker(s), %d shard(s), %s, %,d parameters, %d steps (%d per epoch)%n",
                s.jobId(), s.workers(), s.shards(), s.strategy().id(), s.numParams(), s.totalSteps(), s.stepsPerEpoch());
        out.flush();
    }

    private void onStep(TrainingEvent.StepCompleted s) {
        samplesPerSecond = Double.isNaN(samplesPerSecond) ? s.samplesPerSecond()
                : EMA_WEIGHT * s.samplesPerSecond() + (1 - EMA_WEIGHT) * samplesPerSecond;
        long done = s.step() + 1;
        if (interactive) {
            err.print("\r" + line(s, done) + "\u001b[K");
            lineOpen = true;
        } else if (done >= nextLineStep || done == totalSteps) {
            err.println(line(s, done));
            nextLineStep = done + Math.max(1, totalSteps / NON_INTERACTIVE_LINES);
        }
        err.flush();
    }

    private void onEpoch(TrainingEvent.EpochCompleted e) {
        closeLine();
        out.printf("epoch %d/%d: test accuracy %.4f (after step %d)%n", e.epoch() + 1, epochs(), e.testAccuracy(), e.step());
        out.flush();
    }

    private void onRestored(TrainingEvent.Restored r) {
        closeLine();
        for (String rejected : r.rejected()) err.println("Skipped checkpoint: " + rejected);
        err.flush();
        out.println(r.path().isEmpty() ? "No usable checkpoint of job " + r.jobId() + ": starting from step 0"
                : "Resuming job " + r.jobId() + " from " + r.path() + " (after step " + r.step() + ")");
        out.flush();
    }

    /** Ends the redrawn line so that the next output starts on a fresh one. */
    private void closeLine() {
        if (lineOpen) {
            err.println();
            err.flush();
            lineOpen = false;
        }
    }

    /** One progress line: epoch, bar, step/total, loss, samples/s, ETA. */
    String line(TrainingEvent.StepCompleted s, long done) {
        double elapsed = (nanoClock.getAsLong() - startNanos) / 1e9;
        long etaSeconds = Math.round(elapsed / Math.max(1, done - firstStep) * (totalSteps - done));
        return String.format("epoch %d/%d %s step %d/%d loss %.4f %,.0f samples/s ETA %s", s.epoch() + 1, epochs(),
                bar(done), done, totalSteps, s.loss(), samplesPerSecond, clock(etaSeconds));
    }

    private long epochs() {
        return (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch;
    }

    private String bar(long done) {
        int filled = (int) (BAR_WIDTH * done / totalSteps);
        return "[" + "=".repeat(filled) + " ".repeat(BAR_WIDTH - filled) + "]";
    }

    /** Seconds as m:ss, or h:mm:ss from an hour on. */
    static String clock(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long sec = seconds % 60;
        return h > 0 ? String.format("%d:%02d:%02d", h, m, sec) : String.format("%d:%02d", m, sec);
    }
}
