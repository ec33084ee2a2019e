package io.flock.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.flock.actors.job.TrainingEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's arithmetic: throughput from per-step rates excluding warm-up, and the median. */
class OverheadBenchmarkTest {

    static TrainingEvent.StepCompleted step(long step, double samplesPerSecond) {
        return new TrainingEvent.StepCompleted("j", step, 0, 1.0, samplesPerSecond, 1);
    }

    @Test
    void throughput_skipsWarmupAndWeighsStepsByTime() {
        // warm-up step 0 is slow and ignored; steps 1 and 2 take 1 s and 0.5 s for 100 samples each
        List<TrainingEvent.StepCompleted> events = List.of(step(0, 1), step(1, 100), step(2, 200));

        assertEquals(200 / 1.5, OverheadBenchmark.throughput(events, 1, 100), 1e-9);
    }

    @Test
    void throughput_noMeasuredStep_isRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> OverheadBenchmark.throughput(List.of(step(0, 100)), 1, 100));
    }

    @Test
    void median_oddAndEvenCounts() {
        assertEquals(2.0, OverheadBenchmark.median(new double[] {3, 1, 2}));
        assertEquals(2.5, OverheadBenchmark.median(new double[] {4, 1, 3, 2}));
    }
}
