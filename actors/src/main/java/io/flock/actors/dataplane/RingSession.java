package io.flock.actors.dataplane;

import io.flock.strategies.RingAllReduce;
import io.flock.strategies.RingAllReduce.Chunk;
import io.flock.strategies.RingAllReduce.Phase;
import java.net.InetSocketAddress;
import java.util.BitSet;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A ring member on the data plane: drives {@link RingAllReduce} with chunks from the left
 * neighbour and sends what it returns to the right one. Chunks of the mean are read straight into
 * their place in the result vector (and the last rank's running sums too, which become the mean
 * in place), so that the result needs no concatenation; chunks that arrived before the session
 * opened are copied in at the end. Running sums that only pass through are read into pooled
 * arrays, returned to the pool once written on. Every chunk is accepted once per phase.
 */
final class RingSession extends AbstractSession {

    private final RingAllReduce ring;
    private final int left;
    private final int right;
    private final boolean last;
    private final boolean reduces;
    private final BitSet reduceRouted = new BitSet();
    private final BitSet broadcastRouted = new BitSet();
    private int reduceDelivered;
    private int broadcastDelivered;
    private final INDArray[] slots;
    private final INDArray[] mean;
    private final INDArray result;
    private final ChunkPool pool;
    /** Pooled arrays holding running sums in flight here, by identity. */
    private final Set<INDArray> borrowed = Collections.newSetFromMap(new IdentityHashMap<>());

    RingSession(CollectiveSpec spec, DataPlaneEndpoint endpoint, INDArray into, ChunkPool pool) {
        super(spec, endpoint);
        int n = spec.members().size();
        // The socket copies what it sends, so a starting rank's single gradient goes out as views, not copies.
        this.ring = new RingAllReduce(n, spec.rank(), spec.length(), spec.chunkSize(), spec.microBatches(), spec.step(), true);
        this.pool = pool;
        this.result = into != null || n == 1 ? into : newVector(spec.length());
        this.left = (spec.rank() + n - 1) % n;
        this.right = (spec.rank() + 1) % n;
        this.last = spec.rank() == n - 1;
        this.reduces = blocks.first(spec.rank()) > 0; // receives running sums: someone before it holds g_0
        this.slots = new INDArray[chunks];
        this.mean = new INDArray[chunks];
    }

    @Override
    void onContribute(int m, INDArray gradient) {
        ring.contribute(m, gradient, this::emit);
    }

    @Override
    Target onRoute(Frame.Header h, InetSocketAddress peer) throws Mismatch {
        int k = h.chunk();
        if (h.type() == Frame.Type.RING_REDUCE) {
            checkSender(h, peer, h.from() == left && reduces);
            if (reduceRouted.get(k)) throw new Mismatch("second REDUCE of chunk " + k + " from rank " + h.from());
            reduceRouted.set(k);
            // The last rank completes the sum in place: read it where the mean will be.
            if (last) return Target.of(slot(k));
            INDArray sum = pool.borrow(h.count());
            borrowed.add(sum);
            return Target.of(sum);
        }
        checkSender(h, peer, h.from() == left && !last);
        if (broadcastRouted.get(k)) throw new Mismatch("second BROADCAST of chunk " + k + " from rank " + h.from());
        broadcastRouted.set(k);
        return Target.of(slot(k));
    }

    @Override
    void onDelivered(Frame.Header h, INDArray values) {
        if (h.type() == Frame.Type.RING_REDUCE) {
            reduceDelivered++;
            ring.receive(new Chunk(Phase.REDUCE, spec.step(), h.chunk(), values), this::emit);
        } else {
            broadcastDelivered++;
            mean[h.chunk()] = values;
            ring.receive(new Chunk(Phase.BROADCAST, spec.step(), h.chunk(), values), this::emit);
        }
    }

    private void emit(Chunk c) {
        if (c.phase() == Phase.BROADCAST) mean[c.chunk()] = c.data();
        // A running sum read into a pooled array goes back to the pool once written.
        ChunkPool recycle = c.phase() == Phase.REDUCE && borrowed.remove(c.data()) ? pool : null;
        send(right, c.phase() == Phase.REDUCE ? Frame.Type.RING_REDUCE : Frame.Type.RING_BROADCAST, -1, c.chunk(), c.data(),
                recycle);
    }

    @Override
    boolean onExpectsFrom(InetSocketAddress peer) {
        if (!DataPlaneEndpoint.sameAddress(spec.members().get(left), peer) || spec.members().size() == 1) return false;
        return (reduces && reduceDelivered < chunks) || (!last && broadcastDelivered < chunks);
    }

    @Override
    boolean isDone() {
        return ring.done();
    }

    @Override
    INDArray onResult() {
        if (spec.members().size() == 1) return result == null ? ring.result() : result.assign(ring.result());
        for (int k = 0; k < chunks; k++) {
            INDArray slot = slot(k);
            if (mean[k] != slot) slot.assign(mean[k]); // arrived before open, or summed here from a dup
        }
        return result;
    }

    private INDArray slot(int k) {
        if (slots[k] == null) slots[k] = chunkOf(result, k);
        return slots[k];
    }

    @Override
    Set<InetSocketAddress> sendsTo() {
        return spec.members().size() == 1 ? Set.of() : Set.of(spec.members().get(right));
    }
}
