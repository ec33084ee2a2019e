package io.flock.tensor.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.data.DatasetSpec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Micro-batch gradients are bitwise the same in another JVM whose OpenMP/BLAS environment
 * differs (OMP_NUM_THREADS 1 and 3 against this JVM's), as they must be for a BSP run to stay
 * on one trajectory whichever node computes what. Without {@link BlasThreads} each thread count
 * gave different bits.
 */
class CrossProcessGradientTest {

    @Test
    void gradients_otherJvmWithOtherThreadCounts_bitwiseIdentical() throws Exception {
        String here = fingerprint();
        assertTrue(here.lines().count() == 6, here);
        for (String threads : List.of("1", "3")) {
            assertEquals(here, fingerprintInChild(threads), "gradients in a JVM with OMP_NUM_THREADS=" + threads);
        }
    }

    /** SHA-256 of each micro-batch gradient (MLP, Fashion-MNIST-shaped data) at the initial parameters, one per line. */
    static String fingerprint() throws Exception {
        Model model = ModelSpec.Mlp.fashionMnist(7).build();
        Dataset train = DatasetSpec.Synthetic.fashionMnistShaped(600, 10, 11).loadTrain();
        BatchPlan.Sampler sampler = new BatchPlan(3, train.size(), 60, 6).sampler();
        INDArray params = model.initialParams();
        StringBuilder out = new StringBuilder();
        for (int m = 0; m < 6; m++) {
            INDArray grad = model.gradient(params, train.batch(sampler.indices(0, m))).gradient();
            ByteBuffer bytes = grad.data().asNio().duplicate();
            byte[] raw = new byte[Math.toIntExact(grad.length() * grad.dataType().width())];
            bytes.get(raw);
            out.append(m).append(' ').append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(raw)))
                    .append('\n');
        }
        return out.toString();
    }

    private static String fingerprintInChild(String ompThreads) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx1g",
                CrossProcessGradientTest.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(false);
        pb.environment().put("OMP_NUM_THREADS", ompThreads);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String out;
        try (var reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            out = reader.lines().filter(l -> l.matches("\\d [0-9a-f]{64}")).collect(Collectors.joining("\n", "", "\n"));
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), "child JVM failed");
        return out;
    }

    /** Child JVM entry: prints {@link #fingerprint()} and this process's BLAS thread count on stderr. */
    public static void main(String[] args) throws Exception {
        System.out.print(fingerprint());
        System.err.println("blas threads " + Nd4j.factory().blas().getMaxThreads());
    }
}
