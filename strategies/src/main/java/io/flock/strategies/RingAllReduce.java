package io.flock.strategies;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One ring member's part in one step's all-reduce of the mean micro-batch gradient, as a pure
 * state machine: the caller feeds it this member's micro-batch gradients and the chunks that
 * arrive from the left neighbour, and sends the chunks it returns to the right neighbour. When
 * {@link #done()}, {@link #result()} is (g_0 + g_1 + … + g_{M-1}) / M, bit-identical to what
 * {@link BspShardState} and {@link ReferenceLoop} compute, on every member.
 *
 * <pre>
 * Algorithm: an order-preserving pipelined ring, after the chunked, pipelined ring of Patarasuk
 * and Yuan, "Bandwidth optimal all-reduce algorithms for clusters of workstations", JPDC 2009.
 * Their reduce-scatter adds per-member partial sums in ring order starting at a different member
 * for every segment; float addition is not associative, so that sum differs in the last bits
 * from the parameter server's left fold ((g_0 + g_1) + g_2) + … . Here micro-batches are held in
 * contiguous blocks in rank order ({@link MicroBatchBlocks}), so the left fold visits the ranks
 * in ring order:
 *   REDUCE     the holder of g_0 starts the running sum of each chunk; every next rank adds its
 *              own gradients ONE BY ONE, in index order, and passes the chunk right. Rank N-1
 *              (holder of g_{M-1}) completes the sum and divides by M: same floats, same
 *              operations, same order as the shard, hence the same bits.
 *   BROADCAST  rank N-1 sends each mean chunk right; ranks forward it until rank N-2 has it.
 * Chunks are independent, so both phases pipeline: rank r works on chunk k while rank r+1 works
 * on chunk k-1, and a chunk's broadcast starts while later chunks are still being reduced.
 * Cost: ranks send at most 2n values per step (n in each phase; the ends send less), against
 * 2(N-1)/N·n for Patarasuk-Yuan — N/(N-1) times the bandwidth term (2x at N = 2, 1.14x at
 * N = 8), for a result that does not depend on membership or strategy. Latency on the critical
 * path: 2(N-1) + C - 1 chunk transfers for C chunks.
 * </pre>
 *
 * Limits: one instance per step; rank failure is not handled here (the wiring restarts the step
 * under the new membership: BSP workers keep their gradients until the step commits).
 */
public final class RingAllReduce {

    /** Which phase a chunk belongs to. */
    public enum Phase {
        /** A running sum of micro-batches 0..k, travelling towards rank N-1. */
        REDUCE,
        /** A finished chunk of the mean, travelling from rank N-1 around the ring. */
        BROADCAST
    }

    /**
     * A message to the right neighbour: chunk {@code chunk} (values [chunk·size, …)) of the
     * vector of step {@code step}. The receiver owns {@code data} (it may add to it in place).
     */
    public record Chunk(Phase phase, long step, int chunk, INDArray data) {}

    private final int members;
    private final int rank;
    private final long step;
    private final int microBatches;
    private final int first;
    private final int end;
    private final Chunking chunking;
    private final INDArray[] local;
    private final INDArray[] mean;
    private final boolean transportCopies;
    private final Deque<Chunk> waiting = new ArrayDeque<>();
    private int localReceived;
    private int meanReceived;
    private long sentValues;
    private long sentMessages;

    /**
     * @param members      N, ring size; the right neighbour of rank r is (r+1) mod N
     * @param rank         this member's position in the ring
     * @param length       n, values in the flat gradient
     * @param chunkSize    values per message
     * @param microBatches M; this rank must be given exactly its {@link MicroBatchBlocks} block
     * @param step         the training step, carried by every chunk; chunks of other steps are ignored
     */
    public RingAllReduce(int members, int rank, long length, int chunkSize, int microBatches, long step) {
        this(members, rank, length, chunkSize, microBatches, step, false);
    }

    /**
     * As the other constructor; with {@code transportCopies} a running sum that this rank would
     * send on unchanged (it starts the chain with a single gradient) is sent as a view of that
     * gradient instead of a copy: for transports that copy what they send (a socket), where the
     * receiver gets its own array anyway. Same values, same bits; the caller must not modify its
     * gradients until the chunks are sent.
     */
    public RingAllReduce(int members, int rank, long length, int chunkSize, int microBatches, long step,
            boolean transportCopies) {
        if (rank < 0 || rank >= members) throw new IllegalArgumentException("rank " + rank + " of " + members);
        MicroBatchBlocks blocks = new MicroBatchBlocks(members, microBatches);
        this.members = members;
        this.rank = rank;
        this.step = step;
        this.microBatches = microBatches;
        this.first = blocks.first(rank);
        this.end = blocks.end(rank);
        this.chunking = new Chunking(length, chunkSize);
        this.local = new INDArray[end - first];
        this.mean = new INDArray[chunking.count()];
        this.transportCopies = transportCopies;
    }

    /** Values rank {@code rank} sends in one step: n per phase it forwards in. */
    public static long sentValuesPerStep(int members, int rank, int microBatches, long length) {
        if (members == 1) return 0;
        MicroBatchBlocks blocks = new MicroBatchBlocks(members, microBatches);
        boolean reduces = blocks.end(rank) > 0 && rank < members - 1;
        boolean broadcasts = rank != members - 2;
        return (reduces ? length : 0) + (broadcasts ? length : 0);
    }

    /** Micro-batches this rank must contribute: [first, end). */
    public int firstMicroBatch() {
        return first;
    }

    public int endMicroBatch() {
        return end;
    }

    /**
     * Hands over this rank's gradient of micro-batch {@code m} (full length; not modified).
     * Returns the chunks now ready for the right neighbour, in order.
     */
    public List<Chunk> contribute(int m, INDArray gradient) {
        List<Chunk> out = new ArrayList<>();
        contribute(m, gradient, out::add);
        return out;
    }

    /**
     * As {@link #contribute(int, INDArray)}, but hands each chunk to {@code out} as soon as it is
     * ready, so that a transport can start sending chunk 0 while later chunks are still summed.
     */
    public void contribute(int m, INDArray gradient, Consumer<Chunk> out) {
        if (m < first || m >= end) {
            throw new IllegalArgumentException("rank " + rank + " holds micro-batches [" + first + ", " + end
                    + "), not " + m);
        }
        if (gradient.length() != chunking.length()) {
            throw new IllegalArgumentException("gradient has " + gradient.length() + " values, expected "
                    + chunking.length());
        }
        if (local[m - first] != null) return;
        local[m - first] = gradient;
        if (++localReceived < local.length) return;
        if (startsChain()) {
            for (int k = 0; k < mean.length; k++) reduce(k, null, out);
        }
        while (!waiting.isEmpty()) {
            Chunk c = waiting.poll();
            reduce(c.chunk(), c.data(), out);
        }
    }

    /** Consumes a chunk from the left neighbour; returns the chunks to send right, in order. */
    public List<Chunk> receive(Chunk chunk) {
        List<Chunk> out = new ArrayList<>();
        receive(chunk, out::add);
        return out;
    }

    /** As {@link #receive(Chunk)}, handing the chunks to send right to {@code out} as they are ready. */
    public void receive(Chunk chunk, Consumer<Chunk> out) {
        if (chunk.step() != step) return;
        if (chunk.phase() == Phase.BROADCAST) {
            if (mean[chunk.chunk()] == null) {
                mean[chunk.chunk()] = chunk.data();
                meanReceived++;
                if ((rank + 1) % members != members - 1) send(Phase.BROADCAST, chunk.chunk(), chunk.data(), out);
            }
            return;
        }
        if (first == 0) throw new IllegalStateException("rank " + rank + " takes no part in the reduce phase");
        if (localReceived == local.length) reduce(chunk.chunk(), chunk.data(), out);
        else waiting.add(chunk);
    }

    /** Adds this rank's gradients, in micro-batch order, to a chunk's running sum and passes it on. */
    private void reduce(int k, INDArray runningSum, Consumer<Chunk> out) {
        INDArray sum = runningSum;
        boolean sentUnchanged = runningSum == null && local.length == 1 && rank < members - 1;
        for (INDArray g : local) {
            INDArray part = chunking.view(g, k);
            sum = sum == null ? (sentUnchanged && transportCopies ? part : part.dup()) : sum.addi(part);
        }
        if (rank < members - 1) {
            send(Phase.REDUCE, k, sum, out);
            return;
        }
        mean[k] = sum.divi(microBatches);
        meanReceived++;
        if (members > 1) send(Phase.BROADCAST, k, mean[k], out);
    }

    private boolean startsChain() {
        return first == 0 && end > 0;
    }

    private void send(Phase phase, int k, INDArray data, Consumer<Chunk> out) {
        out.accept(new Chunk(phase, step, k, data));
        sentMessages++;
        sentValues += data.length();
    }

    /** True once this rank holds every chunk of the mean. */
    public boolean done() {
        return meanReceived == mean.length;
    }

    /** The mean gradient (a new array); only when {@link #done()}. */
    public INDArray result() {
        if (!done()) throw new IllegalStateException("all-reduce of step " + step + " is not finished on rank " + rank);
        return mean.length == 1 ? mean[0].dup() : Nd4j.concat(0, mean);
    }

    public long sentValues() {
        return sentValues;
    }

    public long sentMessages() {
        return sentMessages;
    }
}
