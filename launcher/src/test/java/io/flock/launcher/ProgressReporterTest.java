package io.flock.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.strategies.Strategy;
import io.flock.actors.job.TrainingEvent;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Progress rendering with a fake clock: line cadence off a terminal, redraws on one, ETA. */
class ProgressReporterTest {

    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    long nowNanos;

    ProgressReporter reporter(boolean interactive) {
        return new ProgressReporter(new PrintWriter(out), new PrintWriter(err), interactive, () -> nowNanos);
    }

    void runSteps(ProgressReporter r, int total) {
        r.accept(new TrainingEvent.Started("j", 0, total, total / 2, 2, 2, Strategy.PS_BSP, 1000));
        for (int s = 0; s < total; s++) {
            nowNanos += 1_000_000_000L;
            r.accept(new TrainingEvent.StepCompleted("j", s, s / (total / 2), 0.5, 128, 2));
        }
    }

    @Test
    void nonInteractive_printsFirstStepThenEveryFivePercent() {
        runSteps(reporter(false), 200);

        long lines = err.toString().lines().count();
        assertEquals(1 + 20, lines, err.toString());
        assertTrue(err.toString().lines().reduce((a, b) -> b).orElseThrow().contains("step 200/200"));
        assertTrue(!err.toString().contains("\r"));
    }

    @Test
    void interactive_redrawsOneLineWithEta() {
        ProgressReporter r = reporter(true);
        runSteps(r, 10);
        r.accept(new TrainingEvent.EpochCompleted("j", 1, 10, 0.875));

        assertEquals(10, err.toString().chars().filter(c -> c == '\r').count());
        assertTrue(err.toString().contains("epoch 1/2 [============            ] step 5/10 loss 0.5000 128 samples/s ETA 0:05"),
                err.toString());
        assertTrue(out.toString().contains("epoch 2/2: test accuracy 0.8750"), out.toString());
    }

    @Test
    void restored_namesTheCheckpointAndTheSkippedOnes_etaCountsFromTheResumedStep() {
        ProgressReporter r = reporter(true);
        r.accept(new TrainingEvent.Restored("j", 60, "/ckpt/j-000000000060.ckpt",
                new String[] {"/ckpt/j-000000000080.ckpt: truncated"}));
        r.accept(new TrainingEvent.Started("j", 60, 100, 10, 2, 2, Strategy.PS_BSP, 1000));
        nowNanos += 10_000_000_000L;
        r.accept(new TrainingEvent.StepCompleted("j", 69, 6, 0.5, 128, 2));

        assertTrue(out.toString().contains("Resuming job j from /ckpt/j-000000000060.ckpt (after step 60)"), out.toString());
        assertTrue(err.toString().contains("Skipped checkpoint: /ckpt/j-000000000080.ckpt: truncated"), err.toString());
        assertTrue(err.toString().contains("step 70/100") && err.toString().contains("ETA 0:30"), err.toString());
    }

    @Test
    void restoredWithoutCheckpoint_saysItStartsFromZero() {
        reporter(false).accept(new TrainingEvent.Restored("j", 0, "", new String[0]));

        assertTrue(out.toString().contains("No usable checkpoint of job j: starting from step 0"), out.toString());
    }

    @Test
    void clock_formatsMinutesAndHours() {
        assertEquals("0:07", ProgressReporter.clock(7));
        assertEquals("1:02:03", ProgressReporter.clock(3723));
    }
}
