package io.flock.tensor.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Serializing and checksumming a view copies it first; the copy must stay allocated until its
 * last byte is read. ND4J's {@code asNio()} buffers hold no reference to the array that owns the
 * memory, so without a reachability fence a garbage collection in the middle could free the copy
 * and another allocation reuse it: the bytes on the wire were then partly another tensor's (seen
 * as rare, scheduling-dependent drift from the reference in multi-node runs). Here views are
 * written and checksummed while another thread allocates, fills and drops arrays and asks for
 * collections; every copy must come out exact.
 */
class NativeMemoryLifetimeTest {

    @Test
    void viewsSerializedAndChecksummed_underGcAndAllocationPressure_comeOutExact() throws Exception {
        Nd4j.getRandom().setSeed(9);
        INDArray whole = Nd4j.rand(DataType.FLOAT, 4 * 1_000_000);
        INDArray[] views = new INDArray[4];
        long[] expected = new long[4];
        for (int s = 0; s < 4; s++) {
            views[s] = whole.get(NDArrayIndex.interval(1_000_000L * s, 1_000_000L * (s + 1)));
            expected[s] = TensorChecksum.of(views[s].dup());
        }
        AtomicBoolean stop = new AtomicBoolean();
        Thread churn = new Thread(() -> {
            while (!stop.get()) {
                for (int i = 0; i < 8; i++) Nd4j.createUninitialized(DataType.FLOAT, 1_000_000).assign(-1.0);
                System.gc();
            }
        }, "allocation-churn");
        churn.setDaemon(true);
        churn.start();
        Kryo kryo = new Kryo();
        TensorSerializer serializer = new TensorSerializer();
        int wrong = 0;
        int rounds = 1_500;
        try {
            for (int r = 0; r < rounds; r++) {
                int s = r % 4;
                Output out = new Output(1 << 20, -1);
                kryo.writeObject(out, views[s], serializer);
                INDArray back = kryo.readObject(new Input(out.toBytes()), INDArray.class, serializer);
                if (TensorChecksum.of(back) != expected[s]) wrong++;
                if (TensorChecksum.of(views[s]) != expected[s]) wrong++;
            }
        } finally {
            stop.set(true);
            churn.join();
        }
        assertEquals(0, wrong, "views copied wrong under GC pressure, of " + 2 * rounds);
    }
}
