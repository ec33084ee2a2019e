package io.flock.strategies;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One member's part in one step's tree reduce + broadcast of the mean micro-batch gradient, as
 * a pure state machine for small, latency-bound vectors. Like {@link RingAllReduce} the result,
 * on every member, is bit-identical to the parameter server's (g_0 + … + g_{M-1}) / M.
 *
 * <pre>
 * Algorithm: binary-tree reduce to rank 0 followed by a broadcast down the same tree (the
 * classic MPI reduce/bcast trees, see Thakur, Rabenseifner and Gropp, "Optimization of
 * collective communication operations in MPICH", IJHPCA 2005). Parent of rank r is (r-1)/2.
 * Partial sums of two subtrees are not a left fold of g_0..g_{M-1}, so inner nodes do NOT add:
 * each forwards its subtree's gradients tagged by micro-batch index, and the root folds all M
 * in index order, divides by M and sends the mean down. Rank r sends (micro-batches in its
 * subtree)·n values up and n to each child; the root receives M·n minus its own — affordable
 * only because the tree is used for small vectors, where the 2·⌊log2 N⌋ hops of latency
 * (against 2(N-1) for the ring) are what matters.
 * </pre>
 *
 * Micro-batches are assigned as {@link MicroBatchBlocks}, so each rank knows how many its
 * subtree holds. One instance per step; failures are handled by the wiring restarting the step.
 */
public final class TreeReduce {

    /** A message between tree neighbours. */
    public sealed interface Message {
        long step();
    }

    /** Child to parent: the subtree's gradients keyed by micro-batch index. */
    public record Up(long step, TreeMap<Integer, INDArray> gradients) implements Message {}

    /** Parent to child: the finished mean. */
    public record Down(long step, INDArray mean) implements Message {}

    /** A message and the rank to deliver it to. */
    public record Send(int to, Message message) {}

    private final int members;
    private final int rank;
    private final long step;
    private final int microBatches;
    private final long length;
    private final MicroBatchBlocks blocks;
    private final int expected;
    private final TreeMap<Integer, INDArray> gathered = new TreeMap<>();
    private INDArray mean;
    private boolean sentUp;
    private long sentValues;

    public TreeReduce(int members, int rank, long length, int microBatches, long step) {
        if (rank < 0 || rank >= members) throw new IllegalArgumentException("rank " + rank + " of " + members);
        this.members = members;
        this.rank = rank;
        this.step = step;
        this.microBatches = microBatches;
        this.length = length;
        this.blocks = new MicroBatchBlocks(members, microBatches);
        this.expected = subtreeMicroBatches(rank);
    }

    private int subtreeMicroBatches(int r) {
        if (r >= members) return 0;
        return blocks.end(r) - blocks.first(r) + subtreeMicroBatches(2 * r + 1) + subtreeMicroBatches(2 * r + 2);
    }

    /** Values rank {@code rank} sends in one step. */
    public static long sentValuesPerStep(int members, int rank, int microBatches, long length) {
        TreeReduce probe = new TreeReduce(members, rank, length, microBatches, 0);
        long children = probe.children().size();
        return (rank == 0 ? 0 : (long) probe.expected * length) + children * length;
    }

    /** This rank's gradient of micro-batch {@code m} (full length; not modified). */
    public List<Send> contribute(int m, INDArray gradient) {
        if (m < blocks.first(rank) || m >= blocks.end(rank)) {
            throw new IllegalArgumentException("rank " + rank + " does not hold micro-batch " + m);
        }
        if (gradient.length() != length) {
            throw new IllegalArgumentException("gradient has " + gradient.length() + " values, expected " + length);
        }
        gathered.putIfAbsent(m, gradient);
        return progress();
    }

    /** Consumes a message from a tree neighbour; returns what to send on. */
    public List<Send> receive(Message message) {
        if (message.step() != step) return List.of();
        if (message instanceof Down down) return mean == null ? broadcast(down.mean()) : List.of();
        ((Up) message).gradients().forEach(gathered::putIfAbsent);
        return progress();
    }

    private List<Send> progress() {
        if (gathered.size() < expected || mean != null || sentUp) return List.of();
        if (rank > 0) {
            sentUp = true;
            sentValues += (long) expected * length;
            return List.of(new Send((rank - 1) / 2, new Up(step, new TreeMap<>(gathered))));
        }
        INDArray sum = null;
        for (INDArray g : gathered.values()) sum = sum == null ? g.dup() : sum.addi(g);
        return broadcast(sum.divi(microBatches));
    }

    private List<Send> broadcast(INDArray result) {
        mean = result;
        gathered.clear();
        List<Send> out = new ArrayList<>();
        for (int child : children()) {
            out.add(new Send(child, new Down(step, result)));
            sentValues += length;
        }
        return out;
    }

    private List<Integer> children() {
        List<Integer> c = new ArrayList<>();
        for (int child = 2 * rank + 1; child <= 2 * rank + 2 && child < members; child++) c.add(child);
        return c;
    }

    /** True once this rank holds the mean. */
    public boolean done() {
        return mean != null;
    }

    /** The mean gradient (a copy); only when {@link #done()}. */
    public INDArray result() {
        if (mean == null) throw new IllegalStateException("tree reduce of step " + step + " not finished on rank " + rank);
        return mean.dup();
    }

    public long sentValues() {
        return sentValues;
    }
}
