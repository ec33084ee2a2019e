package io.flock.actors.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.actors.coordinator.RecoveryPolicy.Adopted;
import io.flock.actors.coordinator.RecoveryPolicy.CollectiveFailed;
import io.flock.actors.coordinator.RecoveryPolicy.Fail;
import io.flock.actors.coordinator.RecoveryPolicy.Ignore;
import io.flock.actors.coordinator.RecoveryPolicy.MemberRemoved;
import io.flock.actors.coordinator.RecoveryPolicy.Pause;
import io.flock.actors.coordinator.RecoveryPolicy.Reform;
import io.flock.actors.coordinator.RecoveryPolicy.Resync;
import io.flock.actors.coordinator.RecoveryPolicy.ShardLost;
import io.flock.actors.coordinator.RecoveryPolicy.ShardsReady;
import io.flock.actors.coordinator.RecoveryPolicy.Situation;
import io.flock.actors.coordinator.RecoveryPolicy.Stage;
import io.flock.actors.coordinator.RecoveryPolicy.Stalled;
import io.flock.actors.coordinator.RecoveryPolicy.StartFrom;
import io.flock.actors.coordinator.RecoveryPolicy.WorkerFailed;
import io.flock.actors.coordinator.RecoveryPolicy.WorkersChanged;
import io.flock.strategies.Strategy.Family;
import org.junit.jupiter.api.Test;

class RecoveryPolicyTest {

    static final Family PS = Family.SHARDED_STEPS;
    static final Family RING = Family.COLLECTIVE;

    /** A running job of 2 workers (min 2) at epoch 3, first version 0. */
    static Situation running(Family family) {
        return new Situation(Stage.RUNNING, family, false, 2, 2, false, 3, false, -1, 0);
    }

    static Situation with(Situation s, Stage stage, int chosen, boolean viewChanged) {
        return new Situation(stage, s.family(), s.seeding(), chosen, s.minWorkers(), viewChanged, s.membershipEpoch(),
                s.paused(), s.formAt(), s.firstVersion());
    }

    @Test
    void decide_workersChangedUnderPs_resyncs() {
        assertEquals(new Resync(), RecoveryPolicy.decide(new WorkersChanged(), with(running(PS), Stage.RUNNING, 2, true)));
    }

    @Test
    void decide_workersChangedButSameView_isIgnored() {
        assertEquals(new Ignore(), RecoveryPolicy.decide(new WorkersChanged(), running(PS)));
    }

    @Test
    void decide_workersChangedUnderRing_reformsFromTheReplicas() {
        assertEquals(new Reform(-1), RecoveryPolicy.decide(new WorkersChanged(), with(running(RING), Stage.RUNNING, 2, true)));
    }

    @Test
    void decide_viewChangesWhileFormingAtABoundary_reformsAtThatBoundary() {
        Situation forming = new Situation(Stage.FORMING, RING, false, 2, 2, true, 3, false, 40, 0);
        assertEquals(new Reform(40), RecoveryPolicy.decide(new WorkersChanged(), forming));
    }

    @Test
    void decide_tooFewWorkers_pausesAndTellsTheClientOnce() {
        Situation s = with(running(PS), Stage.RUNNING, 1, true);
        assertEquals(new Pause(true), RecoveryPolicy.decide(new WorkersChanged(), s));
        Situation already = new Situation(Stage.WAITING, PS, false, 1, 2, true, 3, true, -1, 0);
        assertEquals(new Pause(false), RecoveryPolicy.decide(new WorkersChanged(), already));
    }

    @Test
    void decide_tooFewWorkersBeforeTheFirstView_pausesSilently() {
        Situation s = new Situation(Stage.WAITING, PS, false, 0, 2, true, 0, false, -1, 0);
        assertEquals(new Pause(false), RecoveryPolicy.decide(new ShardsReady(), s));
    }

    @Test
    void decide_firstView_startsAtTheFirstVersionOrFormsThere() {
        Situation ps = new Situation(Stage.WAITING, PS, false, 2, 2, true, 0, false, -1, 7);
        assertEquals(new StartFrom(7), RecoveryPolicy.decide(new ShardsReady(), ps));
        Situation ring = new Situation(Stage.WAITING, RING, false, 2, 2, true, 0, false, -1, 7);
        assertEquals(new Reform(7), RecoveryPolicy.decide(new WorkersChanged(), ring));
    }

    @Test
    void decide_workersChangedWhilePreparingOrFinishing_isIgnored() {
        assertEquals(new Ignore(), RecoveryPolicy.decide(new WorkersChanged(), with(running(PS), Stage.PREPARING, 2, true)));
        assertEquals(new Ignore(), RecoveryPolicy.decide(new WorkersChanged(), with(running(PS), Stage.FINISHING, 2, true)));
    }

    @Test
    void decide_memberRemovedUnderPs_resyncs() {
        assertEquals(new Resync(), RecoveryPolicy.decide(new MemberRemoved(), running(PS)));
        assertEquals(new Resync(), RecoveryPolicy.decide(new MemberRemoved(), running(Family.SHARDED_ON_ARRIVAL)));
    }

    @Test
    void decide_memberRemovedUnderRing_isIgnoredUnlessSeeding() {
        assertEquals(new Ignore(), RecoveryPolicy.decide(new MemberRemoved(), running(RING)));
        Situation seeding = new Situation(Stage.SWITCHING, RING, true, 2, 2, false, 3, false, -1, 0);
        assertEquals(new Reform(-1), RecoveryPolicy.decide(new MemberRemoved(), seeding));
    }

    @Test
    void decide_collectiveFailedOfTheCurrentView_reforms() {
        assertEquals(new Reform(-1), RecoveryPolicy.decide(new CollectiveFailed(3), running(RING)));
    }

    @Test
    void decide_collectiveFailedOfAnOldViewOrWhileForming_isIgnored() {
        assertEquals(new Ignore(), RecoveryPolicy.decide(new CollectiveFailed(2), running(RING)));
        assertEquals(new Ignore(), RecoveryPolicy.decide(new CollectiveFailed(3), with(running(RING), Stage.FORMING, 2, false)));
    }

    @Test
    void decide_stalledLongerThanTheTimeout_resyncs() {
        assertEquals(new Resync(), RecoveryPolicy.decide(new Stalled(31, 30), running(PS)));
        assertEquals(new Ignore(), RecoveryPolicy.decide(new Stalled(30, 30), running(PS)));
    }

    @Test
    void decide_stalledWhileSwitchingOrResyncing_isIgnored() {
        assertEquals(new Ignore(), RecoveryPolicy.decide(new Stalled(99, 30), with(running(PS), Stage.SWITCHING, 2, false)));
        assertEquals(new Ignore(), RecoveryPolicy.decide(new Stalled(99, 30), with(running(PS), Stage.RESYNCING, 2, false)));
    }

    @Test
    void decide_adopted_resyncsFromTheShards() {
        Situation adopted = new Situation(Stage.WAITING, PS, false, 2, 2, true, 5, false, -1, -1);
        assertEquals(new Resync(), RecoveryPolicy.decide(new Adopted(), adopted));
    }

    @Test
    void decide_workerFailedOrShardLost_fails() {
        assertEquals(new Fail("worker 1 failed: no data"), RecoveryPolicy.decide(new WorkerFailed(1, "no data"),
                running(PS)));
        assertEquals(new Fail("gone"), RecoveryPolicy.decide(new ShardLost("gone"), with(running(PS), Stage.PREPARING, 0, false)));
    }

    @Test
    void abandonsSwitch_newViewOutsideFormation_abandons() {
        Situation switching = with(running(PS), Stage.SWITCHING, 2, true);
        assertTrue(RecoveryPolicy.abandonsSwitch(switching, new Resync()));
        assertFalse(RecoveryPolicy.abandonsSwitch(switching, new Pause(true)));
        Situation forming = new Situation(Stage.FORMING, RING, false, 2, 2, true, 3, false, 40, 0);
        assertFalse(RecoveryPolicy.abandonsSwitch(forming, new Reform(40)));
    }
}
