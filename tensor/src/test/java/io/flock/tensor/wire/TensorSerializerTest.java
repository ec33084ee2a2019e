package io.flock.tensor.wire;

import static io.flock.tensor.TestAsserts.assertContains;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class TensorSerializerTest {

    private final Kryo kryo = new Kryo();
    private final TensorSerializer serializer = new TensorSerializer();

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE", "INT", "LONG"})
    void roundTrip_ranks0To3_preservesDtypeShapeAndValues(DataType dtype) {
        for (long[] shape : new long[][] {{}, {7}, {3, 4}, {2, 3, 5}}) {
            INDArray original = Nd4j.rand(DataType.DOUBLE, shape).muli(100).castTo(dtype);

            INDArray copy = roundTrip(original);

            assertEquals(dtype, copy.dataType());
            assertArrayEquals(shape, copy.shape());
            assertEquals(original, copy);
        }
    }

    @Test
    void roundTrip_viewOfBiggerArray_writesOnlyTheView() {
        INDArray big = Nd4j.arange(0, 60).castTo(DataType.FLOAT).reshape(6, 10);
        INDArray view = big.get(NDArrayIndex.interval(2, 4), NDArrayIndex.interval(3, 8));

        INDArray copy = roundTrip(view);

        assertArrayEquals(new long[] {2, 5}, copy.shape());
        assertEquals(23f, copy.getFloat(0, 0));
        assertEquals(view, copy);
    }

    @Test
    void roundTrip_rowOfMatrix_usesItsOffset() {
        INDArray big = Nd4j.arange(0, 12).castTo(DataType.DOUBLE).reshape(3, 4);

        INDArray copy = roundTrip(big.getRow(2));

        assertArrayEquals(new double[] {8, 9, 10, 11}, copy.toDoubleVector());
    }

    @Test
    void roundTrip_fortranOrder_keepsValues() {
        INDArray f = Nd4j.arange(0, 6).castTo(DataType.FLOAT).reshape('f', 2, 3);

        assertEquals(f, roundTrip(f));
    }

    @Test
    void roundTrip_emptyArray_keepsShape() {
        INDArray empty = Nd4j.create(DataType.FLOAT, 0, 3);

        INDArray copy = roundTrip(empty);

        assertEquals(0, copy.length());
        assertArrayEquals(new long[] {0, 3}, copy.shape());
    }

    @Test
    void roundTrip_fourMillionFloats_exact() {
        INDArray big = Nd4j.rand(DataType.FLOAT, 4 << 20);

        INDArray copy = roundTrip(big);

        assertEquals(big, copy);
    }

    @Test
    void read_badDtypeCode_saysDtype() {
        byte[] bytes = header(200, 1, 4);

        KryoException e = assertThrows(KryoException.class, () -> read(bytes));

        assertContains(e.getMessage(), "dtype code");
    }

    @Test
    void read_rankAboveLimit_saysRank() {
        byte[] bytes = header(0, 40);

        KryoException e = assertThrows(KryoException.class, () -> read(bytes));

        assertContains(e.getMessage(), "rank 40");
    }

    @Test
    void read_negativeDimension_saysWhichDimension() {
        byte[] bytes = header(0, 2, 3, -5);

        KryoException e = assertThrows(KryoException.class, () -> read(bytes));

        assertContains(e.getMessage(), "dimension 1 is negative");
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 40, Long.MAX_VALUE})
    void read_hugeDimension_refusedBeforeAllocating(long dim) {
        byte[] bytes = header(0, 2, dim, 3);

        KryoException e = assertThrows(KryoException.class, () -> read(bytes));

        assertTrue(e.getMessage().contains("exceeds the limit") || e.getMessage().contains("more elements"),
                e.getMessage());
    }

    @Test
    void read_hugeDimensionBesideZero_refused() {
        byte[] bytes = header(0, 2, 0, 1L << 62);

        KryoException e = assertThrows(KryoException.class, () -> read(bytes));

        assertContains(e.getMessage(), "tensor dimension 1 of shape [0, 4611686018427387904] (FLOAT) exceeds the limit");
    }

    @Test
    void read_dimensionLargerThanInput_refusedBeforeAllocating() {
        byte[] bytes = header(0, 1, 1 << 20);

        KryoException e = assertThrows(KryoException.class, () -> read(bytes));

        assertContains(e.getMessage(), "only 0 remain");
    }

    @Test
    void read_truncatedStream_throwsKryoException() {
        byte[] bytes = write(Nd4j.rand(DataType.FLOAT, 1000));
        byte[] truncated = Arrays.copyOf(bytes, bytes.length - 100);

        Input input = new Input(new ByteArrayInputStream(truncated), 256);

        assertThrows(KryoException.class, () -> kryo.readObject(input, INDArray.class, serializer));
    }

    @Test
    void read_truncatedBuffer_saysBytesMissing() {
        byte[] bytes = write(Nd4j.rand(DataType.FLOAT, 1000));

        KryoException e = assertThrows(KryoException.class, () -> read(Arrays.copyOf(bytes, bytes.length - 1)));

        assertContains(e.getMessage(), "needs 4000 bytes");
    }

    @Test
    void read_overConfiguredLimit_refused() {
        byte[] bytes = write(Nd4j.rand(DataType.FLOAT, 1000));
        TensorSerializer small = new TensorSerializer(1000);

        KryoException e = assertThrows(KryoException.class,
                () -> kryo.readObject(new Input(bytes), INDArray.class, small));

        assertContains(e.getMessage(), "exceeds the limit of 1000 bytes");
    }

    private INDArray roundTrip(INDArray array) {
        return read(write(array));
    }

    private byte[] write(INDArray array) {
        Output output = new Output(1024, -1);
        kryo.writeObject(output, array, serializer);
        return output.toBytes();
    }

    private INDArray read(byte[] bytes) {
        return kryo.readObject(new Input(bytes), INDArray.class, serializer);
    }

    private static byte[] header(int dtypeCode, int rank, long... dims) {
        Output output = new Output(64, -1);
        output.writeByte(dtypeCode);
        output.writeVarInt(rank, true);
        for (long d : dims) output.writeVarLong(d, true);
        return output.toBytes();
    }

}
