package io.flock.strategies;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.strategies.TreeReduce.Send;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class TreeReduceTest {

    /** Wires N tree members in memory and delivers sends in a seeded random order. */
    static List<TreeReduce> simulate(int members, long step, List<INDArray> grads, long seed) {
        long length = grads.get(0).length();
        MicroBatchBlocks blocks = new MicroBatchBlocks(members, grads.size());
        List<TreeReduce> tree = new ArrayList<>();
        for (int r = 0; r < members; r++) tree.add(new TreeReduce(members, r, length, grads.size(), step));
        List<Integer> todo = new ArrayList<>();
        for (int m = 0; m < grads.size(); m++) todo.add(m);
        List<Send> inFlight = new ArrayList<>();
        Random random = new Random(seed);
        while (!todo.isEmpty() || !inFlight.isEmpty()) {
            if (!todo.isEmpty() && (inFlight.isEmpty() || random.nextBoolean())) {
                int m = todo.remove(random.nextInt(todo.size()));
                inFlight.addAll(tree.get(blocks.holder(m)).contribute(m, grads.get(m)));
            } else {
                Send s = inFlight.remove(random.nextInt(inFlight.size()));
                inFlight.addAll(tree.get(s.to()).receive(s.message()));
            }
        }
        return tree;
    }

    @Test
    void treeReduce_anyMembershipAndMicroBatches_isBitIdenticalToOrderedMean() {
        for (int n = 1; n <= 6; n++) {
            for (int m = 1; m <= 8; m++) {
                List<INDArray> grads = Gradients.random(m, 13, 17L * n + m);
                float[] expected = Gradients.orderedMean(grads).toFloatVector();
                for (TreeReduce member : simulate(n, 3, grads, n * 100L + m)) {
                    assertTrue(member.done(), "N=" + n + " M=" + m);
                    assertArrayEquals(expected, member.result().toFloatVector(), "N=" + n + " M=" + m);
                }
            }
        }
    }

    @Test
    void sentValues_matchDocumentedFormula() {
        for (int n = 1; n <= 6; n++) {
            for (int m = 1; m <= 8; m++) {
                List<TreeReduce> tree = simulate(n, 0, Gradients.random(m, 5, m), 2);
                for (int r = 0; r < n; r++) {
                    assertEquals(TreeReduce.sentValuesPerStep(n, r, m, 5), tree.get(r).sentValues(),
                            "N=" + n + " M=" + m + " rank " + r);
                }
            }
        }
        assertEquals(2 * 5 + 5, TreeReduce.sentValuesPerStep(4, 1, 4, 5), "rank 1 of 4: g_1 and g_3 up, the mean to rank 3");
    }

    @Test
    void receive_messageOfAnotherStep_isIgnored() {
        TreeReduce leaf = new TreeReduce(2, 1, 2, 2, 4);
        assertTrue(leaf.receive(new TreeReduce.Down(3, Gradients.random(1, 2, 1).get(0))).isEmpty());
        assertTrue(!leaf.done());
    }
}
