package io.flock.actors.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.LocalCluster;
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
 * A push carries the CRC32C its worker took of the gradient right after computing it. A shard
 * (primary and backup, on another node) refuses a push whose elements no longer match, so a
 * gradient changed on the way never enters a step; the same push sent again intact is applied.
 */
class CorruptPushTest {

    static final String JOB = "crc";
    static final Duration WAIT = Duration.ofSeconds(20);

    LocalCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void pushChangedAfterItsChecksum_isDropped_andTheIntactOneIsApplied() throws Exception {
        cluster = LocalCluster.start(2, 0, ConfigFactory.empty());
        var system = cluster.node(0).system();
        TestProbe<ParameterShard.Reply> probe = TestProbe.create(system);
        EntityRef<ParameterShard.Command> shard = ParameterShard.ref(system, JOB, 0);
        shard.tell(new ParameterShard.Init(JOB, 0, Nd4j.zeros(DataType.FLOAT, 4), Nd4j.zeros(DataType.FLOAT, 1, 4),
                new OptimizerSpec.Sgd(1.0), 2, 0, probe.ref()));
        probe.expectMessageClass(ParameterShard.Initialized.class, WAIT);

        INDArray gradient = Nd4j.ones(DataType.FLOAT, 4);
        ParameterShard.Push intact = new ParameterShard.Push(JOB, 0, 1, gradient.dup());
        ParameterShard.Push changed = new ParameterShard.Push(JOB, 0, 1, gradient.dup().putScalar(2, 7f), intact.checksum());
        assertTrue(intact.intact());
        assertFalse(changed.intact());

        shard.tell(new ParameterShard.Push(JOB, 0, 0, gradient.dup()));
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
}
