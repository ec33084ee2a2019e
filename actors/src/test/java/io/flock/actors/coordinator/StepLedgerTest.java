package io.flock.actors.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.actors.job.TrainingEvent;
import io.flock.tensor.data.BatchPlan;
import java.util.List;
import org.junit.jupiter.api.Test;

class StepLedgerTest {

    /** 100 samples, batch 10 in 2 micro-batches: 10 steps per epoch. */
    static final BatchPlan PLAN = new BatchPlan(1, 100, 10, 2);

    static StepLedger ledger(long next) {
        return new StepLedger("j", PLAN, 30, next, false, 0);
    }

    @Test
    void pollCompletedStep_allMicroBatchesIn_announcesMeanLossAndRate() {
        StepLedger l = ledger(0);
        assertTrue(l.record(0, new int[] {1}, new double[] {3.0}));
        assertNull(l.pollCompletedStep(1_000_000_000L, 2));
        l.record(0, new int[] {0}, new double[] {1.0});
        TrainingEvent.StepCompleted ev = l.pollCompletedStep(2_000_000_000L, 2);
        assertEquals(new TrainingEvent.StepCompleted("j", 0, 0, 2.0, 5.0, 2), ev);
        assertEquals(1, l.next());
        assertEquals(2.0, l.lastLoss());
        assertEquals(2_000_000_000L, l.lastStepNanos());
    }

    @Test
    void record_repeatedMicroBatch_keepsFirstLoss() {
        StepLedger l = ledger(0);
        l.record(0, new int[] {0, 1}, new double[] {1.0, 1.0});
        l.record(0, new int[] {0}, new double[] {99.0});
        assertEquals(1.0, l.pollCompletedStep(1, 1).loss());
    }

    @Test
    void record_stepAlreadyAnnouncedOrOutOfRangeMicroBatch_isIgnored() {
        StepLedger l = ledger(5);
        assertFalse(l.record(4, new int[] {0, 1}, new double[] {1, 1}));
        assertFalse(l.record(6, new int[] {0, 1}, new double[] {1, 1}));
        l.record(5, new int[] {7, -1}, new double[] {1, 1});
        assertNull(l.pollCompletedStep(1, 1));
        assertArrayEquals(new int[] {0, 1}, l.unreported(5));
    }

    @Test
    void pollCompletedStep_laterStepsComplete_waitsForTheNextInOrder() {
        StepLedger l = ledger(0);
        l.record(1, new int[] {0, 1}, new double[] {1, 1});
        assertNull(l.pollCompletedStep(1, 1));
        l.record(0, new int[] {0, 1}, new double[] {2, 2});
        assertEquals(0, l.pollCompletedStep(1, 1).step());
        assertEquals(1, l.pollCompletedStep(2, 1).step());
        assertNull(l.pollCompletedStep(3, 1));
    }

    @Test
    void unreported_partlyReportedStep_listsTheMissingMicroBatches() {
        StepLedger l = ledger(0);
        assertArrayEquals(new int[] {0, 1}, l.unreported(3));
        l.record(3, new int[] {1}, new double[] {1});
        assertArrayEquals(new int[] {0}, l.unreported(3));
    }

    @Test
    void completeBelow_missingReports_announcesStepsWithMeanOfWhatCameOrNaN() {
        StepLedger l = ledger(0);
        l.record(0, new int[] {0}, new double[] {4.0});
        List<TrainingEvent.StepCompleted> done = l.completeBelow(2, 10, 3);
        assertEquals(2, done.size());
        assertEquals(4.0, done.get(0).loss());
        assertTrue(Double.isNaN(done.get(1).loss()));
        assertEquals(3, done.get(1).workers());
        assertEquals(2, l.next());
    }

    @Test
    void completeBelow_pastTheLastStep_stopsAtTotalSteps() {
        StepLedger l = ledger(28);
        assertEquals(2, l.completeBelow(40, 10, 1).size());
        assertEquals(30, l.next());
    }

    @Test
    void completeBelow_adoptedJobAtStepZero_announcesNothing() {
        StepLedger l = new StepLedger("j", PLAN, 30, 0, true, 0);
        assertTrue(l.completeBelow(5, 10, 1).isEmpty());
        assertEquals(0, l.next());
    }

    @Test
    void reportedAbove_onlyStepsFromNext_withTheirReportedMicroBatches() {
        StepLedger l = ledger(0);
        l.record(2, new int[] {1}, new double[] {1});
        l.record(0, new int[] {0, 1}, new double[] {1, 1});
        l.pollCompletedStep(1, 1);
        var above = l.reportedAbove();
        assertEquals(1, above.size());
        assertArrayEquals(new boolean[] {false, true}, above.get(2L));
    }

    @Test
    void skipTo_onlyMovesForward() {
        StepLedger l = ledger(5);
        l.skipTo(3);
        assertEquals(5, l.next());
        l.skipTo(8);
        assertEquals(8, l.next());
    }

    @Test
    void pollCompletedStep_epochOfStep_followsThePlan() {
        StepLedger l = ledger(10);
        l.record(10, new int[] {0, 1}, new double[] {1, 1});
        assertEquals(1, l.pollCompletedStep(1, 1).epoch());
    }
}
