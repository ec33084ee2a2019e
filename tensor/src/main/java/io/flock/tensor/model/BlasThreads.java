package io.flock.tensor.model;

import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pins OpenBLAS to one fixed thread count in every process that computes gradients, so that a
 * micro-batch's gradient is bitwise the same whichever node computes it.
 *
 * <p>OpenBLAS's sgemm rounds differently with different thread counts (measured: the same
 * parameters and micro-batch give different gradient bits with 1, 2 and 4 BLAS threads, and
 * identical bits across processes and threads at one count, whatever libnd4j's own OpenMP thread
 * count). ND4J sets the BLAS thread count from {@code OMP_NUM_THREADS}, else the number of
 * CPUs, so nodes on different machines, or launched with different environments (the chaos
 * harness's 1 against its own JVM's 2), computed different gradients and Adam amplified the
 * ulps. The count is {@value #DEFAULT} unless the system property {@value #PROPERTY} says
 * otherwise; it must then say the same on every node and wherever a reference run is computed.
 * It is process-wide (OpenBLAS here is built on pthreads, not OpenMP), set once before the first
 * model is built.
 */
public final class BlasThreads {

    /** System property that overrides the BLAS thread count (a positive integer). */
    public static final String PROPERTY = "flock.blas-threads";
    /** BLAS threads per process unless {@value #PROPERTY} is set. */
    public static final int DEFAULT = 1;

    private static final Logger LOG = LoggerFactory.getLogger(BlasThreads.class);
    private static volatile boolean pinned;

    private BlasThreads() {}

    /** The count this process pins: {@value #PROPERTY}, else {@value #DEFAULT}. */
    public static int configured() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) return DEFAULT;
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("system property " + PROPERTY + " must be a positive integer, got '" + value + "'");
    }

    /** Sets OpenBLAS's thread count to {@link #configured()} once per process; returns the count in force. */
    public static synchronized int pin() {
        var blas = Nd4j.factory().blas();
        if (!pinned) {
            int n = configured();
            int before = blas.getMaxThreads();
            blas.setMaxThreads(n);
            pinned = true;
            if (before != n) {
                LOG.info("BLAS threads set to {} (was {}) so that gradients are bitwise identical across processes;"
                        + " -D{}=N changes it, identically on every node", n, before, PROPERTY);
            }
        }
        return blas.getMaxThreads();
    }
}
