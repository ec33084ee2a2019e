package io.flock.tensor.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Kryo serializer for any {@link INDArray}: a dtype code, the rank and shape as varints, then
 * the raw c-order element bytes in little-endian order, copied straight from and into ND4J's
 * buffers. Every header field is validated on read, and the data size is checked against the
 * bytes available and a configurable limit before allocating, so corrupt input never causes an
 * {@link OutOfMemoryError}.
 */
public final class TensorSerializer extends Serializer<INDArray> {

    /** Default bound on one tensor's data: 1 GiB. */
    public static final long DEFAULT_MAX_BYTES = 1L << 30;
    /** Highest rank accepted on read. */
    public static final int MAX_RANK = 32;

    /** Wire codes: the index in this table. Append only; never reorder. */
    private static final DataType[] CODES = {
        DataType.FLOAT, DataType.DOUBLE, DataType.INT, DataType.LONG, DataType.HALF, DataType.BFLOAT16,
        DataType.BYTE, DataType.BOOL, DataType.SHORT, DataType.UBYTE, DataType.UINT16, DataType.UINT32,
        DataType.UINT64,
    };
    private static final Map<DataType, Integer> CODE_OF = codeTable();
    private static final int CHUNK = 1 << 16;

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new ExceptionInInitializerError("TensorSerializer assumes a little-endian platform");
        }
    }

    private final long maxBytes;

    /** A serializer that accepts tensors of up to {@link #DEFAULT_MAX_BYTES}. */
    public TensorSerializer() {
        this(DEFAULT_MAX_BYTES);
    }

    /** A serializer that refuses to read tensors whose data exceeds {@code maxBytes}. */
    public TensorSerializer(long maxBytes) {
        if (maxBytes < 0) throw new IllegalArgumentException("maxBytes must be >= 0, got " + maxBytes);
        this.maxBytes = maxBytes;
    }

    @Override
    public void write(Kryo kryo, Output output, INDArray array) {
        Integer code = CODE_OF.get(array.dataType());
        if (code == null) throw new KryoException("cannot serialize a tensor of dtype " + array.dataType());
        if (array.length() * array.dataType().width() > Integer.MAX_VALUE - 8) {
            throw new KryoException("cannot serialize a tensor of more than 2 GiB: shape "
                    + Arrays.toString(array.shape()) + " of " + array.dataType());
        }
        output.writeByte(code);
        long[] shape = array.shape();
        output.writeVarInt(shape.length, true);
        for (long dim : shape) output.writeVarLong(dim, true);
        if (array.length() > 0) writeData(output, array);
    }

    /**
     * Copies the elements out through a buffer over the native memory. That buffer holds no
     * reference to the array owning the memory, so the array is fenced until the last byte is
     * read: a view's copy is referenced nowhere else, and without the fence a garbage collection
     * during the loop could free it and let another allocation overwrite the bytes being sent
     * (found as rare drift from the BSP reference; {@code NativeMemoryLifetimeTest}).
     */
    private static void writeData(Output output, INDArray array) {
        INDArray c = array.isView() || array.ordering() != 'c' ? array.dup('c') : array;
        try {
            int width = c.dataType().width();
            ByteBuffer bytes = c.data().asNio().duplicate();
            long from = c.offset() * width;
            long length = c.length() * width;
            bytes.limit(Math.toIntExact(from + length)).position(Math.toIntExact(from));
            byte[] chunk = new byte[(int) Math.min(CHUNK, length)];
            while (bytes.hasRemaining()) {
                int n = Math.min(chunk.length, bytes.remaining());
                bytes.get(chunk, 0, n);
                output.writeBytes(chunk, 0, n);
            }
        } finally {
            Reference.reachabilityFence(c);
        }
    }

    @Override
    public INDArray read(Kryo kryo, Input input, Class<? extends INDArray> type) {
        DataType dtype = readDtype(input);
        long[] shape = readShape(input);
        checkDimensions(dtype, shape);
        long length = lengthOf(shape);
        if (length == 0) return Nd4j.create(dtype, shape);
        long bytes = checkSize(input, dtype, shape, length);
        INDArray array = Nd4j.createUninitialized(dtype, shape, 'c');
        try {
            readData(input, array.data().asNio().duplicate(), bytes);
        } finally {
            Reference.reachabilityFence(array); // the buffer does not keep the memory allocated
        }
        return array;
    }

    private static DataType readDtype(Input input) {
        int code = input.readByte();
        if (code < 0 || code >= CODES.length) {
            throw new KryoException("tensor dtype code " + code + " is not one of 0.." + (CODES.length - 1));
        }
        return CODES[code];
    }

    private static long[] readShape(Input input) {
        int rank = input.readVarInt(true);
        if (rank < 0 || rank > MAX_RANK) throw new KryoException("tensor rank " + rank + " is outside 0.." + MAX_RANK);
        long[] shape = new long[rank];
        for (int k = 0; k < rank; k++) {
            shape[k] = input.readVarLong(true);
            if (shape[k] < 0) throw new KryoException("tensor dimension " + k + " is negative: " + shape[k]);
        }
        return shape;
    }

    /**
     * No dimension may exceed the size limit on its own, even where another is 0: ND4J would
     * otherwise build an empty tensor of shape [0, 2^62] whose strides overflow.
     */
    private void checkDimensions(DataType dtype, long[] shape) {
        long maxDim = maxBytes / dtype.width();
        for (int k = 0; k < shape.length; k++) {
            if (shape[k] > maxDim) {
                throw new KryoException("tensor dimension " + k + " of shape " + Arrays.toString(shape) + " (" + dtype
                        + ") exceeds the limit of " + maxBytes + " bytes");
            }
        }
    }

    private static long lengthOf(long[] shape) {
        long length = 1;
        for (long dim : shape) {
            if (dim != 0 && length > Long.MAX_VALUE / dim) {
                throw new KryoException("tensor shape " + Arrays.toString(shape) + " has more elements than a long holds");
            }
            length *= dim;
        }
        return length;
    }

    private long checkSize(Input input, DataType dtype, long[] shape, long length) {
        int width = dtype.width();
        if (length > Long.MAX_VALUE / width || length * width > maxBytes) {
            throw new KryoException("tensor shape " + Arrays.toString(shape) + " of " + dtype
                    + " exceeds the limit of " + maxBytes + " bytes");
        }
        long bytes = length * width;
        if (input.getInputStream() == null && bytes > input.limit() - input.position()) {
            throw new KryoException("tensor shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes
                    + " bytes of data but only " + (input.limit() - input.position()) + " remain");
        }
        return bytes;
    }

    private static void readData(Input input, ByteBuffer target, long bytes) {
        target.clear().limit(Math.toIntExact(bytes));
        byte[] chunk = new byte[(int) Math.min(CHUNK, bytes)];
        while (target.hasRemaining()) {
            int n = Math.min(chunk.length, target.remaining());
            input.readBytes(chunk, 0, n);
            target.put(chunk, 0, n);
        }
    }

    private static Map<DataType, Integer> codeTable() {
        Map<DataType, Integer> codes = new EnumMap<>(DataType.class);
        for (int i = 0; i < CODES.length; i++) codes.put(CODES[i], i);
        codes.put(DataType.INT32, codes.get(DataType.INT));
        codes.put(DataType.INT64, codes.get(DataType.LONG));
        codes.put(DataType.FLOAT16, codes.get(DataType.HALF));
        codes.put(DataType.INT16, codes.get(DataType.SHORT));
        codes.put(DataType.INT8, codes.get(DataType.BYTE));
        codes.put(DataType.UINT8, codes.get(DataType.UBYTE));
        return codes;
    }
}
