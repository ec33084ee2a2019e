package io.flock.actors.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BoundaryTest {

    @Test
    void stops_fresh_beginsEveryStep() {
        Boundary b = new Boundary();
        assertFalse(b.stops(0));
        assertFalse(b.stops(Long.MAX_VALUE - 1));
        assertFalse(b.claimReport(true), "nobody asked for a report");
    }

    @Test
    void hold_stopsFromTheFirstStepNotBegun_withoutAReport() {
        Boundary b = new Boundary();
        assertEquals(7, b.hold(7));
        assertFalse(b.stops(6));
        assertTrue(b.stops(7));
        assertTrue(b.stops(8));
        assertFalse(b.claimReport(true), "Hold is answered at once, not when reached");
    }

    @Test
    void runTo_reportsOnceWhenReached() {
        Boundary b = new Boundary();
        b.runTo(10);
        assertTrue(b.stops(10));
        assertFalse(b.claimReport(false), "not there yet");
        assertTrue(b.claimReport(true));
        assertFalse(b.claimReport(true), "reported once");
        assertEquals(10, b.stopAt());
    }

    @Test
    void runTo_afterHold_movesTheBoundaryAndAsksForTheReport() {
        Boundary b = new Boundary();
        b.hold(4);
        b.runTo(6);
        assertFalse(b.stops(5));
        assertTrue(b.claimReport(true));
    }

    @Test
    void stopSilentlyAt_dropsAWantedReport() {
        Boundary b = new Boundary();
        b.runTo(10);
        b.stopSilentlyAt(3);
        assertTrue(b.stops(3));
        assertFalse(b.claimReport(true), "a view being re-formed is not a boundary the coordinator waits for");
    }

    @Test
    void reset_clearsBoundaryAndReport() {
        Boundary b = new Boundary();
        b.runTo(2);
        b.reset();
        assertFalse(b.stops(100));
        assertFalse(b.claimReport(true));
    }
}
