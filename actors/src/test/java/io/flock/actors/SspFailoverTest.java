package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.JobHandle;
import io.flock.actors.api.LocalCluster;
import io.flock.strategies.Strategy;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingResult;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * PS-SSP under membership changes: crashes (abrupt ActorSystem termination mid-run) and a join. A gradient is acknowledged to its
 * worker only once the shard's backup holds it, and a worker reports a clock only once all of its
 * gradients are acknowledged; at every re-sync the coordinator audits the reported gradients
 * against every shard's applied state (after a primary's crash: the state recovered from the
 * backup). Each run must complete with every clock reported once, no audit finding a missing
 * gradient, and the final evaluation's check that every shard applied each (clock, micro-batch)
 * exactly once.
 */
class SspFailoverTest {

    static final long STEPS = 60;
    static final long CRASH_AFTER = 15;

    LocalCluster cluster;
    final List<TrainingEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void shardPrimaryNodeCrashes_acknowledgedGradientsAreInTheRecoveredState() throws Exception {
        cluster = LocalCluster.start(3, 1, ConfigFactory.empty());
        JobHandle handle = TestJobs.submitUntil(cluster, 0,
                TestJobs.staleJob("ssp-shard-crash", Strategy.PS_SSP, 2, STEPS, 1, 3, 6), CRASH_AFTER, events);
        int node = cluster.nodeHostingShards();
        assertTrue(node > 0, "a node other than the coordinator's hosts shard primaries");
        int before = events.size();
        cluster.crash(node);

        assertCompletedWithEveryClock(TestJobs.await(handle, events));
        List<TrainingEvent.GradientsAudited> audits = audits(before);
        assertTrue(audits.stream().anyMatch(a -> a.recoveredShards() > 0
                        && a.acknowledged() >= (CRASH_AFTER + 1) * TestJobs.MICRO_BATCHES),
                "an audit covered the recovered primaries and every clock reported before the crash: " + audits);
    }

    @Test
    void workerNodeCrashes_noAcknowledgedGradientLost() throws Exception {
        cluster = LocalCluster.start(2, 1, ConfigFactory.empty());
        cluster.addNode(1, false);
        JobHandle handle = TestJobs.submitUntil(cluster, 0,
                TestJobs.staleJob("ssp-worker-crash", Strategy.PS_SSP, 2, STEPS, 1, 3, 4), CRASH_AFTER, events);
        int before = events.size();
        cluster.crash(2);

        assertCompletedWithEveryClock(TestJobs.await(handle, events));
        assertTrue(TestJobs.eventsOf(events, TrainingEvent.MembershipChanged.class).stream()
                .anyMatch(m -> m.workers() == 2), "the job went on with the 2 survivors: " + events);
        List<TrainingEvent.GradientsAudited> audits = audits(before);
        assertTrue(audits.stream().anyMatch(a -> a.acknowledged() >= (CRASH_AFTER + 1) * TestJobs.MICRO_BATCHES),
                "an audit covered every clock reported before the crash: " + audits);
    }

    @Test
    void workerNodeJoins_takesPartFromTheResync() throws Exception {
        cluster = LocalCluster.start(2, 1, ConfigFactory.empty());
        JobHandle handle = TestJobs.submitUntil(cluster, 0,
                TestJobs.staleJob("ssp-join", Strategy.PS_SSP, 2, STEPS, 1, 3, 4), CRASH_AFTER, events);
        int before = events.size();
        cluster.addNode(1, false);

        assertCompletedWithEveryClock(TestJobs.await(handle, events));
        assertTrue(TestJobs.eventsOf(events, TrainingEvent.MembershipChanged.class).stream()
                .anyMatch(m -> m.workers() == 3), "the joiner took part: " + events);
        audits(before);
    }

    private void assertCompletedWithEveryClock(TrainingResult result) {
        assertFalse(events.stream().anyMatch(TrainingEvent.Failed.class::isInstance), events.toString());
        assertEquals(STEPS, result.steps());
        List<TrainingEvent.StepCompleted> steps = TestJobs.eventsOf(events, TrainingEvent.StepCompleted.class);
        assertEquals(STEPS, steps.size(), "every clock reported once");
        for (int i = 0; i < steps.size(); i++) assertEquals(i, steps.get(i).step(), "clocks in order");
        double[] loss = TestJobs.firstAndLastLoss(events, 5);
        assertTrue(loss[1] < loss[0], "loss falls: first " + loss[0] + ", last " + loss[1]);
    }

    /** Audits after the crash; none found a missing gradient (the job would have failed). */
    private List<TrainingEvent.GradientsAudited> audits(int after) {
        List<TrainingEvent.GradientsAudited> audits = TestJobs.eventsOf(events.subList(after, events.size()),
                TrainingEvent.GradientsAudited.class);
        assertFalse(audits.isEmpty(), "the re-sync audited the acknowledged gradients");
        audits.forEach(a -> assertEquals(0, a.missing(), a.toString()));
        System.out.println("audits after the crash: " + audits);
        return audits;
    }
}
