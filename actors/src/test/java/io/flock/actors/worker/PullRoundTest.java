package io.flock.actors.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PullRoundTest {

    @Test
    void begin_newRound_requestIdsGrow() {
        PullRound r = new PullRound();
        long first = r.begin(2, 0);
        long second = r.begin(2, 0);
        assertTrue(second > first);
        assertEquals(second, r.request());
        assertEquals(2, r.missing());
    }

    @Test
    void accepts_beforeAnyRound_nothing() {
        PullRound r = new PullRound();
        assertFalse(r.accepts(0, 0));
        assertFalse(r.retryDue(0));
        assertFalse(r.completed(0));
        assertFalse(r.waitsFor(0));
    }

    @Test
    void arrived_lastShard_completesTheRound() {
        PullRound r = new PullRound();
        long req = r.begin(3, 0);
        assertTrue(r.accepts(1, req));
        assertFalse(r.arrived(1));
        assertFalse(r.accepts(1, req), "a duplicate answer is dropped");
        assertTrue(r.waitsFor(0));
        assertFalse(r.waitsFor(1));
        assertFalse(r.arrived(0));
        assertTrue(r.retryDue(req), "shard 2 is still silent");
        assertFalse(r.completed(req));
        assertTrue(r.arrived(2));
        assertFalse(r.retryDue(req), "nothing left to ask for");
        assertTrue(r.completed(req), "the step delay of this round may end it");
    }

    @Test
    void accepts_answerToSupersededRequest_dropped() {
        PullRound r = new PullRound();
        long old = r.begin(2, 0);
        long current = r.begin(2, 0);
        assertFalse(r.accepts(0, old));
        assertFalse(r.retryDue(old), "the old round's retry timer does nothing");
        assertTrue(r.accepts(0, current));
    }

    @Test
    void cancel_openRound_dropsAnswersRetriesAndDelay() {
        PullRound r = new PullRound();
        long req = r.begin(1, 0);
        r.cancel();
        assertFalse(r.accepts(0, req));
        assertFalse(r.retryDue(req));
        assertFalse(r.waitsFor(0));
        PullRound done = new PullRound();
        long d = done.begin(1, 0);
        done.arrived(0);
        done.cancel();
        assertFalse(done.completed(d), "a cancelled round's step delay does not compute the step");
    }

    @Test
    void seconds_sinceBegin_fromTheInjectedClock() {
        PullRound r = new PullRound();
        r.begin(1, 1_000_000_000L);
        assertEquals(0.25, r.seconds(1_250_000_000L), 1e-12);
    }
}
