package io.flock.actors.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.LocalCluster;
import io.flock.strategies.Strategy;
import io.flock.tensor.optim.OptimizerSpec;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One shard (SGD, lr 1, 4 parameters, 2 micro-batches) with its backup on another node, driven
 * message by message.
 */
class SingleShardTest {

    static final String JOB = "shard";
    static final Duration WAIT = Duration.ofSeconds(20);

    LocalCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    TestProbe<ParameterShard.Reply> probe;

    /** Starts two nodes and initialises shard 0 of {@link #JOB} at zero. */
    private EntityRef<ParameterShard.Command> initShard() throws Exception {
        cluster = LocalCluster.start(2, 0, ConfigFactory.empty());
        var system = cluster.node(0).system();
        probe = TestProbe.create(system);
        EntityRef<ParameterShard.Command> shard = ParameterShard.ref(system, JOB, 0);
        shard.tell(new ParameterShard.Init(JOB, 0, Nd4j.zeros(DataType.FLOAT, 4), Nd4j.zeros(DataType.FLOAT, 1, 4),
                new OptimizerSpec.Sgd(1.0), 2, 0, probe.ref()));
        probe.expectMessageClass(ParameterShard.Initialized.class, WAIT);
        return shard;
    }

    /**
     * ps-bsp step 0, switch to ps-ssp at clock 1, two SSP gradients (a read gated until the clock
     * is whole on the backup), switch back to ps-bsp at 2, one more BSP step. State, clock and
     * applied-step log carry across.
     */
    @Test
    void switchStrategy_bspToSspAndBack_carriesStateClockAndLog() throws Exception {
        EntityRef<ParameterShard.Command> shard = initShard();

        shard.tell(new ParameterShard.Push(JOB, 0, 0, ones()));
        shard.tell(new ParameterShard.Push(JOB, 0, 1, ones()));
        shard.tell(new ParameterShard.SwitchStrategy(JOB, Strategy.PS_SSP, 1, 1, probe.ref()));
        assertEquals(new ParameterShard.StrategySwitched(JOB, 0, Strategy.PS_SSP, 1),
                probe.expectMessageClass(ParameterShard.StrategySwitched.class, WAIT), "after step 0, backup included");

        shard.tell(new ParameterShard.SspPush(JOB, 1, 0, ones(), probe.ref()));
        assertEquals(new ParameterShard.SspAcked(JOB, 0, 1, 0),
                probe.expectMessageClass(ParameterShard.SspAcked.class, WAIT));
        shard.tell(new ParameterShard.SspPull(JOB, 3, 7, probe.ref()));
        shard.tell(new ParameterShard.SspPush(JOB, 1, 1, ones(), probe.ref()));
        assertEquals(new ParameterShard.SspAcked(JOB, 0, 1, 1),
                probe.expectMessageClass(ParameterShard.SspAcked.class, WAIT),
                "clock 3 with s = 1 needs clock 1 whole: the read is answered after the ack that completes it");
        var pulled = probe.expectMessageClass(ParameterShard.SspPulled.class, WAIT);
        assertArrayEquals(new float[] {-2, -2, -2, -2}, pulled.params().toFloatVector(), "BSP mean, then two g/M");

        shard.tell(new ParameterShard.SwitchStrategy(JOB, Strategy.PS_SSP, 0, 0, probe.ref()));
        assertEquals(Strategy.PS_SSP, probe.expectMessageClass(ParameterShard.StrategySwitched.class, WAIT).strategy(),
                "within the SSP family only the bound changes");
        shard.tell(new ParameterShard.SwitchStrategy(JOB, Strategy.PS_BSP, 0, 2, probe.ref()));
        assertEquals(new ParameterShard.StrategySwitched(JOB, 0, Strategy.PS_BSP, 2),
                probe.expectMessageClass(ParameterShard.StrategySwitched.class, WAIT));
        shard.tell(new ParameterShard.Push(JOB, 2, 0, ones()));
        shard.tell(new ParameterShard.Push(JOB, 2, 1, ones().mul(3)));
        shard.tell(new ParameterShard.GetSnapshot(JOB, 3, probe.ref()));
        var snapshot = probe.expectMessageClass(ParameterShard.Snapshot.class, WAIT);
        assertEquals(3, snapshot.version());
        assertArrayEquals(new float[] {-4, -4, -4, -4}, snapshot.params().toFloatVector());
        assertArrayEquals(new long[] {0, 1, 2}, snapshot.appliedSteps(), "one log across the switches");

        shard.tell(new ParameterShard.SwitchStrategy(JOB, Strategy.PS_SSP, 1, 1, probe.ref()));
        probe.expectMessageClass(ParameterShard.SwitchRefused.class, WAIT);
    }

    /**
     * A push carries the CRC32C its worker took of the gradient right after computing it; a shard
     * refuses a push whose elements no longer match, so a gradient changed on the way never enters
     * a step, and the same push sent again intact is applied.
     */
    @Test
    void pushChangedAfterItsChecksum_isDropped_andTheIntactOneIsApplied() throws Exception {
        EntityRef<ParameterShard.Command> shard = initShard();
        ParameterShard.Push intact = new ParameterShard.Push(JOB, 0, 1, ones());
        ParameterShard.Push changed = new ParameterShard.Push(JOB, 0, 1, ones().putScalar(2, 7f), intact.checksum());
        assertTrue(intact.intact());
        assertFalse(changed.intact());

        shard.tell(new ParameterShard.Push(JOB, 0, 0, ones()));
        shard.tell(changed);
        shard.tell(new ParameterShard.GetVersion(JOB, probe.ref()));
        assertEquals(0, probe.expectMessageClass(ParameterShard.Version.class, WAIT).version(),
                "the changed gradient of micro-batch 1 was refused: step 0 still waits for it");

        shard.tell(intact);
        shard.tell(new ParameterShard.GetSnapshot(JOB, 1, probe.ref()));
        var snapshot = probe.expectMessageClass(ParameterShard.Snapshot.class, WAIT);
        assertArrayEquals(new float[] {-1, -1, -1, -1}, snapshot.params().toFloatVector(), "mean of two intact ones");
        assertArrayEquals(new long[] {0}, snapshot.appliedSteps());
    }

    private static INDArray ones() {
        return Nd4j.ones(DataType.FLOAT, 4);
    }
}
