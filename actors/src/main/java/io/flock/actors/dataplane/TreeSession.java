package io.flock.actors.dataplane;

import io.flock.strategies.TreeReduce;
import java.net.InetSocketAddress;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A tree member on the data plane: drives {@link TreeReduce}. Its messages carry whole vectors
 * (a subtree's gradients up, the mean down), which travel as chunk frames and are reassembled in
 * place: each chunk is read straight into its micro-batch's (or the mean's) vector, and a vector
 * is handed to the state machine when its last chunk arrives.
 */
final class TreeSession extends AbstractSession {

    private final TreeReduce tree;
    private final int parent;
    private final INDArray[] up;
    private final BitSet[] upRouted;
    private final int[] upDelivered;
    private final BitSet downRouted = new BitSet();
    private INDArray down;
    private int downDelivered;

    private final INDArray into;

    TreeSession(CollectiveSpec spec, DataPlaneEndpoint endpoint, INDArray into) {
        super(spec, endpoint);
        this.into = into;
        this.tree = new TreeReduce(spec.members().size(), spec.rank(), spec.length(), spec.microBatches(), spec.step());
        this.parent = spec.rank() == 0 ? -1 : (spec.rank() - 1) / 2;
        this.up = new INDArray[spec.microBatches()];
        this.upRouted = new BitSet[spec.microBatches()];
        this.upDelivered = new int[spec.microBatches()];
    }

    @Override
    void onContribute(int m, INDArray gradient) {
        tree.contribute(m, gradient).forEach(this::emit);
    }

    @Override
    Target onRoute(Frame.Header h, InetSocketAddress peer) throws Mismatch {
        int k = h.chunk();
        if (h.type() == Frame.Type.TREE_DOWN) {
            checkSender(h, peer, h.from() == parent);
            if (downRouted.get(k)) throw new Mismatch("second DOWN of chunk " + k);
            downRouted.set(k);
            if (down == null) down = newVector(spec.length());
            return Target.of(chunkOf(down, k));
        }
        checkSender(h, peer, (h.from() - 1) / 2 == spec.rank() && h.from() > 0);
        int m = h.microBatch();
        if (!inSubtree(blocks.holder(m), h.from())) {
            throw new Mismatch("micro-batch " + m + " is not held in rank " + h.from() + "'s subtree");
        }
        if (upRouted[m] == null) {
            upRouted[m] = new BitSet();
            up[m] = newVector(spec.length());
        }
        if (upRouted[m].get(k)) throw new Mismatch("second UP of micro-batch " + m + " chunk " + k);
        upRouted[m].set(k);
        return Target.of(chunkOf(up[m], k));
    }

    @Override
    void onDelivered(Frame.Header h, INDArray values) {
        if (h.type() == Frame.Type.TREE_DOWN) {
            if (++downDelivered == chunks) tree.receive(new TreeReduce.Down(spec.step(), down)).forEach(this::emit);
            return;
        }
        int m = h.microBatch();
        if (++upDelivered[m] == chunks) {
            TreeMap<Integer, INDArray> one = new TreeMap<>(Map.of(m, up[m]));
            tree.receive(new TreeReduce.Up(spec.step(), one)).forEach(this::emit);
        }
    }

    private void emit(TreeReduce.Send s) {
        if (s.message() instanceof TreeReduce.Up u) {
            u.gradients().forEach((m, g) -> {
                for (int k = 0; k < chunks; k++) send(s.to(), Frame.Type.TREE_UP, m, k, chunkOf(g, k), null);
            });
        } else {
            INDArray mean = ((TreeReduce.Down) s.message()).mean();
            for (int k = 0; k < chunks; k++) send(s.to(), Frame.Type.TREE_DOWN, -1, k, chunkOf(mean, k), null);
        }
    }

    /** True when {@code rank} lies in the subtree rooted at {@code root}. */
    private static boolean inSubtree(int rank, int root) {
        for (int r = rank; r >= root; r = (r - 1) / 2) {
            if (r == root) return true;
            if (r == 0) break;
        }
        return false;
    }

    @Override
    boolean onExpectsFrom(InetSocketAddress peer) {
        if (tree.done()) return false;
        if (parent >= 0 && DataPlaneEndpoint.sameAddress(spec.members().get(parent), peer) && downDelivered < chunks) {
            return true;
        }
        for (int child = 2 * spec.rank() + 1; child <= 2 * spec.rank() + 2 && child < spec.members().size(); child++) {
            if (!DataPlaneEndpoint.sameAddress(spec.members().get(child), peer)) continue;
            for (int m = 0; m < spec.microBatches(); m++) {
                if (inSubtree(blocks.holder(m), child) && upDelivered[m] < chunks) return true;
            }
        }
        return false;
    }

    @Override
    boolean isDone() {
        return tree.done();
    }

    @Override
    INDArray onResult() {
        return into == null ? tree.result() : into.assign(tree.result());
    }

    @Override
    Set<InetSocketAddress> sendsTo() {
        Set<InetSocketAddress> to = new HashSet<>();
        if (parent >= 0) to.add(spec.members().get(parent));
        for (int child = 2 * spec.rank() + 1; child <= 2 * spec.rank() + 2 && child < spec.members().size(); child++) {
            to.add(spec.members().get(child));
        }
        return to;
    }
}
