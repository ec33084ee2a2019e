package io.flock.tensor.wire;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * CRC32C of a tensor's elements in c order, as raw little-endian bytes: what a sender computes
 * over a gradient right after computing it and a receiver recomputes before using it, so that a
 * tensor changed anywhere on the way (in memory, on the wire, in a buffer pool) is refused
 * instead of silently moving the BSP trajectory off the reference.
 */
public final class TensorChecksum {

    private TensorChecksum() {}

    /**
     * Whether the elements lie in c order, back to back, from {@code offset()}: then they can be
     * read in place. A rank-1 view with stride 1 qualifies though ND4J reports it as 'f' order
     * (every gradient slice a worker pushes is one); copying those instead left ~300 KB of native
     * garbage per push, freed only by a GC (a benchmark grew to 24 GB and was killed).
     */
    static boolean contiguous(INDArray array) {
        if (array.rank() <= 1) return array.length() <= 1 || array.stride(0) == 1;
        return array.ordering() == 'c' && Shape.hasDefaultStridesForShape(array);
    }

    /** The checksum of {@code array}'s elements (shape and dtype are not included). */
    public static long of(INDArray array) {
        CRC32C crc = new CRC32C();
        if (array.length() == 0) return crc.getValue();
        INDArray c = contiguous(array) ? array : array.dup('c');
        try {
            int width = c.dataType().width();
            ByteBuffer bytes = c.data().asNio().duplicate();
            long from = c.offset() * width;
            bytes.limit(Math.toIntExact(from + c.length() * width)).position(Math.toIntExact(from));
            crc.update(bytes);
            return crc.getValue();
        } finally {
            Reference.reachabilityFence(c); // the buffer over the native memory does not keep c allocated
        }
    }
}
