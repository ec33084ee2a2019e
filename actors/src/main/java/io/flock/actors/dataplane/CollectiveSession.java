package io.flock.actors.dataplane;

import java.util.concurrent.CompletableFuture;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * This member's part in one collective opened with {@link DataPlane#open}: hand it this member's
 * micro-batch gradients, get the mean of all members' gradients. Completion and failure are
 * signalled on a data-plane callback thread; callbacks must not block it.
 */
public interface CollectiveSession {

    /**
     * This member's gradient of micro-batch {@code m} (must be in its
     * {@link io.flock.strategies.MicroBatchBlocks} block; float32, {@code spec.length()} values);
     * thread-safe; the caller does not modify it afterwards. A repeated {@code m} is ignored, and so
     * is any contribution once the session has failed.
     *
     * @throws IllegalArgumentException for a micro-batch outside this member's block, a wrong
     *                                  length or a dtype other than float32
     */
    void contribute(int m, INDArray gradient);

    /**
     * Completes with the mean gradient (a new rank-1 array of {@code spec.length()} float32 values)
     * — bit-identical to {@link io.flock.strategies.RingAllReduce#result()} /
     * {@link io.flock.strategies.TreeReduce#result()} — or fails with a {@link CollectiveException}
     * naming the cause (a peer's connection refused or lost, naming the peer; aborted; garbage received).
     */
    CompletableFuture<INDArray> result();

    /** Bytes (frame headers and values) this member queued for sending in this collective. */
    long bytesSent();

    /** Seconds from open to completion or failure (for metrics and the auto strategy's link fit); so far while running. */
    double seconds();

    /** The spec this session was opened with. */
    CollectiveSpec spec();
}
