package io.flock.actors.dataplane;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reused arrays of exactly {@code chunkSize} float32 values, for running sums that a ring rank
 * reads, adds to and writes on within one step. A fresh native array costs page faults on first
 * touch (about as much as the transfer itself at 1 MiB); reused ones are already mapped. At most
 * {@code capacity} arrays are kept; others (and odd-sized last chunks) are left to the GC.
 */
final class ChunkPool {

    private final int chunkSize;
    private final int capacity;
    private final ConcurrentLinkedQueue<INDArray> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();

    ChunkPool(int chunkSize, int capacity) {
        this.chunkSize = chunkSize;
        this.capacity = capacity;
    }

    /** An array of {@code length} values: pooled when {@code length} is the pool's chunk size, else new. */
    INDArray borrow(int length) {
        if (length == chunkSize) {
            INDArray a = free.poll();
            if (a != null) {
                size.decrementAndGet();
                return a;
            }
        }
        return AbstractSession.newVector(length);
    }

    /** Takes back an array nobody reads or writes any more. */
    void release(INDArray a) {
        if (a.length() != chunkSize || size.incrementAndGet() > capacity) {
            if (a.length() == chunkSize) size.decrementAndGet();
            return;
        }
        free.add(a);
    }
}
