package io.flock.actors.dataplane;

import io.flock.strategies.MicroBatchBlocks;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One member's view of one collective: which job, membership epoch and step it belongs to, the
 * algorithm, the members' data-plane addresses in rank order, this member's rank, the vector's
 * length in values, the number of micro-batches (assigned as {@link MicroBatchBlocks}) and the
 * values per frame. Every member of a collective must open it with equal fields but {@code rank}.
 *
 * @param jobId        at most {@value #MAX_JOB_ID_BYTES} bytes of UTF-8
 * @param epoch        membership epoch; {@link DataPlane#abortBefore} fails lower ones
 * @param step         training step
 * @param kind         ring ({@link io.flock.strategies.RingAllReduce}) or tree ({@link io.flock.strategies.TreeReduce})
 * @param members      data-plane addresses ({@link DataPlane#address()}) in rank order; an address may
 *                     appear more than once (several workers on one node)
 * @param rank         this member's index in {@code members}
 * @param length       n, float32 values in the gradient
 * @param microBatches M
 * @param chunkSize    values per frame (usually {@code flock.data-plane.chunk-size})
 */
public record CollectiveSpec(String jobId, long epoch, long step, Kind kind, List<InetSocketAddress> members,
        int rank, long length, int microBatches, int chunkSize) {

    /** The collective algorithm. */
    public enum Kind { RING, TREE }

    /** Longest job id on the wire, in bytes of UTF-8. */
    public static final int MAX_JOB_ID_BYTES = 255;

    /** Most members of one collective. */
    public static final int MAX_MEMBERS = 65_536;

    public CollectiveSpec {
        if (jobId == null || jobId.isEmpty() || jobId.getBytes(StandardCharsets.UTF_8).length > MAX_JOB_ID_BYTES) {
            throw new IllegalArgumentException("jobId must be 1.." + MAX_JOB_ID_BYTES + " bytes of UTF-8: " + jobId);
        }
        if (kind == null) throw new IllegalArgumentException("kind is null");
        members = List.copyOf(members);
        if (members.isEmpty() || members.size() > MAX_MEMBERS) {
            throw new IllegalArgumentException("members must be 1.." + MAX_MEMBERS + ", got " + members.size());
        }
        if (rank < 0 || rank >= members.size()) {
            throw new IllegalArgumentException("rank " + rank + " is not in 0.." + (members.size() - 1));
        }
        if (length <= 0) throw new IllegalArgumentException("length must be positive, got " + length);
        if (microBatches <= 0) throw new IllegalArgumentException("microBatches must be positive, got " + microBatches);
        if (chunkSize <= 0) throw new IllegalArgumentException("chunkSize must be positive, got " + chunkSize);
    }

    /** Number of frames one full vector is cut into. */
    public int chunks() {
        long c = (length + chunkSize - 1) / chunkSize;
        if (c > Integer.MAX_VALUE) throw new IllegalArgumentException("more than 2^31 chunks: " + length + " / " + chunkSize);
        return (int) c;
    }

    /** The micro-batch blocks of this collective's members. */
    public MicroBatchBlocks blocks() {
        return new MicroBatchBlocks(members.size(), microBatches);
    }

    /** This member's address. */
    public InetSocketAddress self() {
        return members.get(rank);
    }
}
