package io.flock.strategies;

import io.flock.strategies.RingAllReduce.Chunk;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Wires N {@link RingAllReduce} members together in memory: one FIFO link per member to its right
 * neighbour; contributions and deliveries interleave in a seeded random order, as they would
 * over a network with per-link ordering (Artery keeps order per sender-receiver pair).
 */
final class RingSimulation {

    private RingSimulation() {}

    /** Runs one all-reduce of {@code grads} (indexed by micro-batch); returns the members. */
    static List<RingAllReduce> run(int members, int chunkSize, long step, List<INDArray> grads, long seed) {
        long length = grads.get(0).length();
        MicroBatchBlocks blocks = new MicroBatchBlocks(members, grads.size());
        List<RingAllReduce> ring = new ArrayList<>();
        List<Deque<Chunk>> links = new ArrayList<>();
        List<Integer> todo = new ArrayList<>();
        for (int r = 0; r < members; r++) {
            ring.add(new RingAllReduce(members, r, length, chunkSize, grads.size(), step));
            links.add(new ArrayDeque<>());
        }
        for (int m = 0; m < grads.size(); m++) todo.add(m);
        Random random = new Random(seed);
        while (!todo.isEmpty() || links.stream().anyMatch(l -> !l.isEmpty())) {
            List<Integer> busy = new ArrayList<>();
            for (int r = 0; r < members; r++) if (!links.get(r).isEmpty()) busy.add(r);
            if (!todo.isEmpty() && (busy.isEmpty() || random.nextBoolean())) {
                int m = todo.remove(random.nextInt(todo.size()));
                int r = blocks.holder(m);
                links.get(r).addAll(ring.get(r).contribute(m, grads.get(m)));
            } else {
                int from = busy.get(random.nextInt(busy.size()));
                int to = (from + 1) % members;
                links.get(to).addAll(ring.get(to).receive(links.get(from).poll()));
            }
        }
        return ring;
    }
}
