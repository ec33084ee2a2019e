package io.flock.tensor.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class TensorChecksumTest {

    @Test
    void viewsAndReshapedViews_sameChecksumAsTheirCopies() {
        Nd4j.getRandom().setSeed(3);
        INDArray whole = Nd4j.rand(DataType.FLOAT, 1, 1000).dup().reshape(1000); // a view, as a model's gradient is
        for (long[] r : new long[][] {{0, 300}, {300, 700}, {700, 1000}, {1, 999}}) {
            INDArray slice = whole.get(NDArrayIndex.interval(r[0], r[1]));
            assertEquals(TensorChecksum.of(slice.dup()), TensorChecksum.of(slice), "slice " + r[0] + ".." + r[1]);
        }
        INDArray matrix = Nd4j.rand(DataType.FLOAT, 4, 6);
        INDArray column = matrix.getColumn(2);
        assertEquals(TensorChecksum.of(column.dup()), TensorChecksum.of(column), "strided column");
        INDArray transposed = matrix.transpose();
        assertEquals(TensorChecksum.of(transposed.dup('c')), TensorChecksum.of(transposed), "f-order view");
    }

    @Test
    void oneFlippedBit_changesTheChecksum() {
        INDArray a = Nd4j.rand(DataType.FLOAT, 5000);
        long before = TensorChecksum.of(a);
        a.putScalar(4321, Float.intBitsToFloat(Float.floatToIntBits(a.getFloat(4321)) ^ 1));
        assertNotEquals(before, TensorChecksum.of(a));
    }

    @Test
    void emptyAndDoubleTensors() {
        assertEquals(TensorChecksum.of(Nd4j.create(DataType.FLOAT, 0)), TensorChecksum.of(Nd4j.create(DataType.DOUBLE, 0)));
        INDArray d = Nd4j.rand(DataType.DOUBLE, 10);
        assertEquals(TensorChecksum.of(d.dup()), TensorChecksum.of(d));
    }
}
