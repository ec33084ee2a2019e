package io.flock.actors.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.flock.actors.job.TrainingJob;
import io.flock.tensor.data.DatasetCache;
import io.flock.strategies.Strategy;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The worker actor outside a job: what it answers without loading anything. */
class WorkerTest {

    static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    private static ActorRef<Worker.Command> spawn() {
        return KIT.spawn(Worker.create(new DatasetCache(), WorkerSettings.DEFAULTS, () -> 0L));
    }

    @Test
    void echo_anyTime_answersThePayloadSize() {
        TestProbe<WorkerReport> probe = KIT.createTestProbe();
        spawn().tell(new Worker.Echo("j", Nd4j.zeros(DataType.FLOAT, 256), 42, probe.ref()));
        assertEquals(new WorkerReport.Echoed("j", 1024, 42), probe.expectMessageClass(WorkerReport.Echoed.class));
    }

    @Test
    void reportAssignment_idle_reportsNone() {
        TestProbe<WorkerReport> probe = KIT.createTestProbe();
        ActorRef<Worker.Command> worker = spawn();
        worker.tell(new Worker.ReportAssignment(probe.ref()));
        WorkerReport.AssignmentReport report = probe.expectMessageClass(WorkerReport.AssignmentReport.class);
        assertEquals(worker, report.worker());
        assertNull(report.assignment());
    }

    @Test
    void getReplica_noReplica_answersWhy() {
        TestProbe<Worker.Command> probe = KIT.createTestProbe();
        spawn().tell(new Worker.GetReplica("j", 3, probe.ref()));
        Worker.ReplicaCopy copy = probe.expectMessageClass(Worker.ReplicaCopy.class);
        assertNull(copy.params());
        assertNotNull(copy.error());
    }

    @Test
    void assign_dataNotLoadable_reportsWorkerFailedAndStaysFree() {
        TestProbe<WorkerReport> probe = KIT.createTestProbe();
        ActorRef<Worker.Command> worker = spawn();
        TrainingJob job = TrainingJob.builder().jobId("unloadable").model(new ModelSpec.Mlp(4, new int[] {3}, 2, 1))
                .dataset(new DatasetSpec.Idx("/nonexistent/flock-worker-test")).globalBatch(8).microBatches(4)
                .steps(2).seed(1).shards(1).workers(1, 1).strategy(Strategy.PS_BSP).build();
        worker.tell(new Worker.Assign(new Assignment(job, 1, 0, 1, 0, 2, new long[] {0, 1}, 8, null, Strategy.PS_BSP,
                new String[0], null), probe.ref()));
        WorkerReport.WorkerFailed failed = probe.expectMessageClass(WorkerReport.WorkerFailed.class);
        assertEquals("unloadable", failed.jobId());
        worker.tell(new Worker.Hold("unloadable", 1));
        worker.tell(new Worker.ReportAssignment(probe.ref()));
        assertNull(probe.expectMessageClass(WorkerReport.AssignmentReport.class).assignment(),
                "no Held: the worker is in no job");
    }

    @Test
    void setStepDelay_negative_refused() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Worker.SetStepDelay(Duration.ofMillis(-1)));
    }
}
