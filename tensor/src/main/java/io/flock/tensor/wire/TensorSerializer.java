package io.flock.tensor.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Kryo serializer for float INDArrays (interim; replaced by the general dtype version). */
public final class TensorSerializer extends Serializer<INDArray> {
    @Override
    public void write(Kryo kryo, Output output, INDArray array) {
        long[] shape = array.shape();
        output.writeVarInt(shape.length, true);
        for (long d : shape) output.writeVarLong(d, true);
        float[] data = array.dup().data().asFloat();
        output.writeFloats(data, 0, data.length);
    }

    @Override
    public INDArray read(Kryo kryo, Input input, Class<? extends INDArray> type) {
        int rank = input.readVarInt(true);
        if (rank > 32) throw new KryoException("tensor rank " + rank + " out of range");
        long[] shape = new long[rank];
        long n = 1;
        for (int i = 0; i < rank; i++) {
            shape[i] = input.readVarLong(true);
            n *= shape[i];
        }
        float[] data = input.readFloats((int) n);
        return Nd4j.create(data, shape, DataType.FLOAT);
    }
}
