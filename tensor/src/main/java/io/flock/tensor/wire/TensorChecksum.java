package io.flock.tensor.wire;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CRC32C of a tensor's elements in c order, as raw little-endian bytes: what a sender computes
 * over a gradient right after computing it and a receiver recomputes before using it, so that a
 * tensor changed anywhere on the way (in memory, on the wire, in a buffer pool) is refused
 * instead of silently moving the BSP trajectory off the reference.
 */
public final class TensorChecksum {

    private TensorChecksum() {}

    /** The checksum of {@code array}'s elements (shape and dtype are not included). */
    public static long of(INDArray array) {
        CRC32C crc = new CRC32C();
        if (array.length() == 0) return crc.getValue();
        // Read in place only when ND4J reports c order with unit stride. A rank-1 view (every pushed
        // gradient slice) reports 'f' and is copied: ~300 KB of native garbage per check until a GC.
        // Reading those in place crashed a node once (SIGSEGV in sd::DataBuffer::primary, reverted).
        INDArray c = array.ordering() == 'c' && array.elementWiseStride() == 1 ? array : array.dup('c');
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
