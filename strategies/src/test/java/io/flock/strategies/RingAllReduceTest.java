package io.flock.strategies;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.strategies.RingAllReduce.Chunk;
import io.flock.strategies.RingAllReduce.Phase;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class RingAllReduceTest {

    @Test
    void allReduce_anyMembershipMicroBatchesAndChunking_isBitIdenticalToOrderedMean() {
        for (int n = 1; n <= 4; n++) {
            for (int m = 1; m <= 8; m++) {
                for (int length : new int[] {1, 7, 33}) {
                    for (int chunk : new int[] {1, 3, 5, 64}) {
                        List<INDArray> grads = Gradients.random(m, length, 31L * n + 7L * m + length);
                        float[] expected = Gradients.orderedMean(grads).toFloatVector();
                        String where = "N=" + n + " M=" + m + " n=" + length + " chunk=" + chunk;
                        for (RingAllReduce member : RingSimulation.run(n, chunk, 5, grads, n * 1000L + m)) {
                            assertTrue(member.done(), where);
                            assertArrayEquals(expected, member.result().toFloatVector(), where);
                        }
                    }
                }
            }
        }
    }

    @Test
    void orderedMean_differsFromAnotherGrouping_soTheBitwiseTestHasTeeth() {
        List<INDArray> grads = Gradients.random(8, 1000, 3);
        assertFalse(java.util.Arrays.equals(Gradients.orderedMean(grads).toFloatVector(),
                Gradients.pairwiseMean(grads).toFloatVector()));
    }

    @Test
    void sentValues_matchDocumentedFormula() {
        int length = 101;
        for (int n = 1; n <= 5; n++) {
            for (int m = 1; m <= 8; m++) {
                List<RingAllReduce> ring = RingSimulation.run(n, 10, 0, Gradients.random(m, length, m), 1);
                for (int r = 0; r < n; r++) {
                    long expected = RingAllReduce.sentValuesPerStep(n, r, m, length);
                    assertEquals(expected, ring.get(r).sentValues(), "N=" + n + " M=" + m + " rank " + r);
                    assertTrue(expected <= 2L * length);
                    assertEquals(expected / length * 11, ring.get(r).sentMessages(), "11 chunks per phase");
                }
            }
        }
    }

    @Test
    void receive_reduceChunkBeforeLocalGradients_isHeldUntilTheyArrive() {
        RingAllReduce first = new RingAllReduce(2, 0, 4, 2, 2, 0);
        RingAllReduce last = new RingAllReduce(2, 1, 4, 2, 2, 0);
        List<Chunk> fromFirst = first.contribute(0, ones(4));
        assertEquals(2, fromFirst.size(), "two pipelined chunks");
        assertTrue(last.receive(fromFirst.get(0)).isEmpty());
        assertTrue(last.receive(fromFirst.get(1)).isEmpty());
        List<Chunk> broadcast = last.contribute(1, ones(4));
        assertEquals(List.of(Phase.BROADCAST, Phase.BROADCAST), broadcast.stream().map(Chunk::phase).toList());
        assertTrue(last.done());
        assertFalse(first.done());
        broadcast.forEach(first::receive);
        assertArrayEquals(new float[] {1, 1, 1, 1}, first.result().toFloatVector());
    }

    @Test
    void receive_chunkOfAnotherStep_isIgnored() {
        RingAllReduce last = new RingAllReduce(2, 1, 2, 2, 2, 7);
        last.contribute(1, ones(2));
        assertTrue(last.receive(new Chunk(Phase.REDUCE, 6, 0, ones(2))).isEmpty());
        assertFalse(last.done());
    }

    @Test
    void transportCopies_sendsTheSingleStartingGradientAsAView_sameBits() {
        List<INDArray> grads = Gradients.random(3, 10, 5);
        RingAllReduce first = new RingAllReduce(3, 0, 10, 4, 3, 0, true);
        RingAllReduce middle = new RingAllReduce(3, 1, 10, 4, 3, 0, true);
        RingAllReduce last = new RingAllReduce(3, 2, 10, 4, 3, 0, true);
        List<Chunk> sums = first.contribute(0, grads.get(0));
        assertTrue(sums.stream().allMatch(c -> c.data().isView()), "views of g_0, not copies");
        middle.contribute(1, grads.get(1));
        last.contribute(2, grads.get(2));
        List<Chunk> toLast = new java.util.ArrayList<>();
        for (Chunk c : sums) toLast.addAll(middle.receive(copied(c))); // a socket hands over a copy
        List<Chunk> broadcast = new java.util.ArrayList<>();
        for (Chunk c : toLast) broadcast.addAll(last.receive(copied(c)));
        List<Chunk> toMiddle = new java.util.ArrayList<>();
        for (Chunk c : broadcast) toMiddle.addAll(first.receive(copied(c)));
        toMiddle.forEach(c -> middle.receive(copied(c)));

        float[] expected = Gradients.orderedMean(grads).toFloatVector();
        for (RingAllReduce r : List.of(first, middle, last)) assertArrayEquals(expected, r.result().toFloatVector());
        assertArrayEquals(Gradients.random(3, 10, 5).get(0).toFloatVector(), grads.get(0).toFloatVector(), "g_0 untouched");
    }

    private static Chunk copied(Chunk c) {
        return new Chunk(c.phase(), c.step(), c.chunk(), c.data().dup());
    }

    @Test
    void contribute_microBatchOfAnotherRank_isRejected() {
        RingAllReduce first = new RingAllReduce(2, 0, 2, 2, 4, 0);
        assertThrows(IllegalArgumentException.class, () -> first.contribute(2, ones(2)));
        assertThrows(IllegalArgumentException.class, () -> first.contribute(0, ones(3)));
    }

    private static INDArray ones(int n) {
        return Nd4j.ones(DataType.FLOAT, n);
    }
}
