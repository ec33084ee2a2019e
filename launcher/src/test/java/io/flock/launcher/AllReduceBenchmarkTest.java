package io.flock.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The arithmetic of the data-plane and parameter-server benchmarks (no processes started). */
class AllReduceBenchmarkTest {

    @Test
    void sizeParse_unitsAndTheMlp() {
        assertEquals(1L << 20, AllReduceBenchmark.Size.parse("1M").floats());
        assertEquals(250L << 10, AllReduceBenchmark.Size.parse("250k").floats());
        assertEquals(235_146, AllReduceBenchmark.Size.parse("mlp").floats(), "MLP 784-256-128-10");
        assertEquals(4L << 20, AllReduceBenchmark.Size.parse("4M").bytes() / Float.BYTES);
        assertThrows(IllegalArgumentException.class, () -> AllReduceBenchmark.Size.parse("lots"));
        assertThrows(IllegalArgumentException.class, () -> AllReduceBenchmark.Size.parse("0"));
    }

    @Test
    void busBandwidth_isNcclDefinition() {
        assertEquals(1.0, AllReduceBenchmark.busBandwidth(1.0, 2), 1e-12, "N=2: algBw");
        assertEquals(1.5, AllReduceBenchmark.busBandwidth(1.0, 4), 1e-12, "2(N-1)/N");
        assertEquals(4e9, AllReduceBenchmark.algBandwidth(64_000_000, 0.016), 1e-3);
    }

    @Test
    void iterations_moveAbout256MiBWithinBounds() {
        assertEquals(4, AllReduceBenchmark.iterations(64L << 20));
        assertEquals(3, AllReduceBenchmark.iterations(1L << 30));
        assertEquals(200, AllReduceBenchmark.iterations(1024));
    }

    @Test
    void psSlices_coverTheVectorLikeTheCoordinator_andTheFrameLimitIsRespected() {
        assertArrayEquals(new long[] {0, 3, 6, 10}, io.flock.actors.bench.ShardBench.bounds(10, 3));
        assertFalse(PsCommand.fits(AllReduceBenchmark.Size.parse("16M"), 1), "64 MiB + envelope > Artery's large frame");
        assertTrue(PsCommand.fits(AllReduceBenchmark.Size.parse("16M"), 2));
    }
}
