package io.flock.actors.dataplane;

import io.flock.strategies.MicroBatchBlocks;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What ring and tree sessions share: argument checks, the lock that serialises a pure state
 * machine between the caller's thread and reader threads, framing of outgoing values, completion
 * and failure. Subclasses drive {@link io.flock.strategies.RingAllReduce} or
 * {@link io.flock.strategies.TreeReduce}; every method named {@code on*} runs under the lock.
 */
abstract class AbstractSession implements CollectiveSession {

    /** Where a frame's values are read to: {@code buffer} spans exactly the frame's bytes of {@code array}. */
    record Target(INDArray array, ByteBuffer buffer) {
        static Target of(INDArray array) {
            return new Target(array, DataPlaneEndpoint.bytesOf(array));
        }
    }

    /** A frame that does not fit this collective: the session fails naming the peer. */
    static final class Mismatch extends Exception {
        Mismatch(String message) {
            super(message);
        }
    }

    final CollectiveSpec spec;
    final SessionKey key;
    final MicroBatchBlocks blocks;
    final int chunks;
    private final DataPlaneEndpoint endpoint;
    private final CompletableFuture<INDArray> result = new CompletableFuture<>();
    private final long openNanos = System.nanoTime();
    private final AtomicLong bytesSent = new AtomicLong();
    private volatile long endNanos;
    private volatile boolean failed;
    private boolean finished;

    AbstractSession(CollectiveSpec spec, DataPlaneEndpoint endpoint) {
        this.spec = spec;
        this.key = SessionKey.of(spec);
        this.blocks = spec.blocks();
        this.chunks = spec.chunks();
        this.endpoint = endpoint;
    }

    @Override
    public final void contribute(int m, INDArray gradient) {
        if (m < blocks.first(spec.rank()) || m >= blocks.end(spec.rank())) {
            throw new IllegalArgumentException("rank " + spec.rank() + " holds micro-batches [" + blocks.first(spec.rank())
                    + ", " + blocks.end(spec.rank()) + ") of " + spec.microBatches() + ", not " + m);
        }
        if (gradient.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("the data plane carries float32 gradients, got " + gradient.dataType());
        }
        if (gradient.length() != spec.length()) {
            throw new IllegalArgumentException("gradient has " + gradient.length() + " values, expected " + spec.length());
        }
        INDArray flat = gradient.rank() == 1 && gradient.elementWiseStride() == 1 ? gradient
                : gradient.dup('c').reshape(spec.length());
        synchronized (this) {
            if (finished) return;
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                onContribute(m, flat);
                if (!finished && isDone()) complete(onResult());
            }
        }
    }

    /** Checks a frame from {@code peer}; returns where to read its values, or null to skip them. */
    final synchronized Target route(Frame.Header h, InetSocketAddress peer) throws Mismatch {
        if (finished) return null;
        checkSpec(h);
        return onRoute(h, peer);
    }

    /** The frame routed to {@code target} has been read in full. */
    final synchronized void delivered(Frame.Header h, Target target) {
        if (finished) return;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            onDelivered(h, target.array());
            if (!finished && isDone()) complete(onResult());
        }
    }

    /** A frame that arrived before this session opened, its values in {@code values} (a fresh array). */
    final synchronized void deliverEarly(Frame.Header h, INDArray values, InetSocketAddress peer) throws Mismatch {
        if (finished) return;
        checkSpec(h);
        Target target = onRoute(h, peer);
        if (target == null) return;
        if (target.array() != values) target.array().assign(values);
        delivered(h, target);
    }

    /** Whether this session still waits for frames from {@code peer} (it fails when that connection breaks). */
    final synchronized boolean expectsFrom(InetSocketAddress peer) {
        return !finished && onExpectsFrom(peer);
    }

    /** True when {@code peer} is one of this collective's members. */
    final boolean involves(InetSocketAddress peer) {
        for (InetSocketAddress a : spec.members()) if (DataPlaneEndpoint.sameAddress(a, peer)) return true;
        return false;
    }

    /** Fails this session unless it already finished. */
    final void fail(CollectiveException cause) {
        synchronized (this) {
            if (finished) return;
            finished = true;
            failed = true;
            endNanos = System.nanoTime();
        }
        endpoint.finished(this);
        endpoint.signal(() -> result.completeExceptionally(cause));
    }

    private void complete(INDArray mean) {
        finished = true;
        endNanos = System.nanoTime();
        endpoint.finished(this);
        endpoint.signal(() -> result.complete(mean));
    }

    boolean failed() {
        return failed;
    }

    private void checkSpec(Frame.Header h) throws Mismatch {
        if (h.length() != spec.length() || h.chunkSize() != spec.chunkSize() || h.microBatches() != spec.microBatches()
                || h.members() != spec.members().size()) {
            throw new Mismatch("frame of a different collective shape (n=" + h.length() + ", chunk " + h.chunkSize() + ", M="
                    + h.microBatches() + ", N=" + h.members() + "; this member has n=" + spec.length() + ", chunk "
                    + spec.chunkSize() + ", M=" + spec.microBatches() + ", N=" + spec.members().size() + ")");
        }
    }

    /** Checks that {@code from} is the rank this frame type must come from and that {@code peer} is that rank's address. */
    final void checkSender(Frame.Header h, InetSocketAddress peer, boolean expected) throws Mismatch {
        if (!expected) throw new Mismatch(h.type() + " from rank " + h.from() + " is not expected by rank " + spec.rank());
        if (!DataPlaneEndpoint.sameAddress(spec.members().get(h.from()), peer)) {
            throw new Mismatch("rank " + h.from() + " is " + spec.members().get(h.from()) + ", not the sender " + peer);
        }
    }

    /**
     * Queues chunk {@code chunk} ({@code values}) for rank {@code to}; {@code recycle}, when not
     * null, takes the array back once it is written.
     */
    final void send(int to, Frame.Type type, int microBatch, int chunk, INDArray values, ChunkPool recycle) {
        if (failed) return;
        Frame.Header h = new Frame.Header(type, spec.jobId(), spec.epoch(), spec.step(), spec.length(), spec.chunkSize(),
                spec.microBatches(), spec.members().size(), spec.rank(), to, microBatch, chunk, (int) values.length());
        ByteBuffer header = Frame.encode(h);
        ByteBuffer payload = DataPlaneEndpoint.bytesOf(values);
        bytesSent.addAndGet(header.remaining() + payload.remaining());
        endpoint.send(spec.members().get(to), new PeerLink.OutFrame(this, header, payload, values, recycle));
    }

    /** Values [chunk·size, …) of a rank-1 vector, as a view. */
    final INDArray chunkOf(INDArray vector, int chunk) {
        long from = (long) chunk * spec.chunkSize();
        return vector.get(NDArrayIndex.interval(from, Math.min(spec.length(), from + spec.chunkSize())));
    }

    final int chunkLength(int chunk) {
        return (int) Math.min(spec.chunkSize(), spec.length() - (long) chunk * spec.chunkSize());
    }

    static INDArray newVector(long length) {
        return Nd4j.createUninitialized(DataType.FLOAT, length);
    }

    abstract void onContribute(int m, INDArray gradient);

    abstract Target onRoute(Frame.Header h, InetSocketAddress peer) throws Mismatch;

    abstract void onDelivered(Frame.Header h, INDArray values);

    abstract boolean onExpectsFrom(InetSocketAddress peer);

    abstract boolean isDone();

    abstract INDArray onResult();

    /** The addresses this member sends to (connected eagerly at open, so a refused peer fails fast). */
    abstract java.util.Set<InetSocketAddress> sendsTo();

    @Override
    public CompletableFuture<INDArray> result() {
        return result;
    }

    @Override
    public long bytesSent() {
        return bytesSent.get();
    }

    @Override
    public double seconds() {
        long end = endNanos;
        return ((end == 0 ? System.nanoTime() : end) - openNanos) / 1e9;
    }

    @Override
    public CollectiveSpec spec() {
        return spec;
    }

    @Override
    public String toString() {
        return spec.kind() + " " + spec.jobId() + " epoch " + spec.epoch() + " step " + spec.step() + " rank " + spec.rank()
                + "/" + spec.members().size();
    }
}
