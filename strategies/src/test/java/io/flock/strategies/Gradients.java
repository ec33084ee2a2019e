package io.flock.strategies;

import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Test gradients with values of mixed magnitude, so summation order shows in the last bits. */
final class Gradients {

    private Gradients() {}

    static List<INDArray> random(int count, long length, long seed) {
        Random r = new Random(seed);
        return IntStream.range(0, count).mapToObj(i -> {
            float[] v = new float[(int) length];
            for (int j = 0; j < v.length; j++) v[j] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
            return Nd4j.createFromArray(v).castTo(DataType.FLOAT);
        }).toList();
    }

    /** The parameter server's mean: (g_0 + … + g_{M-1}) / M, left to right. */
    static INDArray orderedMean(List<INDArray> grads) {
        INDArray sum = grads.get(0).dup();
        for (int m = 1; m < grads.size(); m++) sum.addi(grads.get(m));
        return sum.divi(grads.size());
    }

    /** Sum in another grouping; differs from {@link #orderedMean} in the last bits for these values. */
    static INDArray pairwiseMean(List<INDArray> grads) {
        int half = grads.size() / 2;
        INDArray a = grads.get(0).dup();
        for (int m = 1; m < half; m++) a.addi(grads.get(m));
        INDArray b = grads.get(half).dup();
        for (int m = half + 1; m < grads.size(); m++) b.addi(grads.get(m));
        return a.addi(b).divi(grads.size());
    }
}
