package io.flock.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.strategies.CostModel.Measurements;
import io.flock.strategies.StrategyDecision.Keep;
import io.flock.strategies.StrategyDecision.SwitchTo;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StrategyPolicyTest {

    static final CostModel MODEL = new CostModel(0.1);
    static final StrategyPolicy.Settings SETTINGS = new StrategyPolicy.Settings(0.15, 3, 50, 2);
    static final double MB = 1e6;

    /** A link fitted from noisy synthetic transfers of a true 1 ms, 1 GB/s link. */
    static LinkFit measuredLink(long seed) {
        Random r = new Random(seed);
        double[] bytes = new double[40];
        double[] seconds = new double[40];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = 1e3 * Math.pow(10, r.nextInt(5));
            seconds[i] = (1e-3 + bytes[i] / 1e9) * (1 + 0.02 * r.nextGaussian());
        }
        return LinkFit.fit(bytes, seconds);
    }

    static Measurements measure(long step, double[] compute, double paramBytes, int shards) {
        return new Measurements(step, compute, measuredLink(step), (long) paramBytes, shards, 8);
    }

    /** Evaluates every 10 steps from step 0 until the first switch; returns it. */
    static SwitchTo firstSwitch(StrategyPolicy policy, double[] compute, double paramBytes, int shards) {
        for (long step = 0; step < 1000; step += 10) {
            if (policy.evaluate(measure(step, compute, paramBytes, shards)) instanceof SwitchTo s) return s;
        }
        throw new AssertionError("no switch");
    }

    @Test
    void fit_noisyTransfers_recoversLatencyAndBandwidth() {
        LinkFit fit = measuredLink(1);
        assertEquals(1e-3, fit.latencySeconds(), 1e-4);
        assertEquals(1e9, fit.bytesPerSecond(), 0.05e9);
    }

    @Test
    void evaluate_homogeneousWorkersLargeVector_switchesToRing() {
        StrategyPolicy policy = new StrategyPolicy(MODEL, SETTINGS, Strategy.PS_BSP);
        SwitchTo s = firstSwitch(policy, new double[] {0.1, 0.1, 0.1, 0.1}, 100 * MB, 2);
        assertEquals(Strategy.RING, s.strategy());
        assertEquals(22, s.atStep(), "third consecutive evaluation (step 20) plus a lead of 2");
    }

    @Test
    void evaluate_oneWorkerTwiceAsSlow_switchesToSsp() {
        StrategyPolicy policy = new StrategyPolicy(MODEL, SETTINGS, Strategy.RING);
        assertEquals(Strategy.PS_SSP, firstSwitch(policy, new double[] {0.1, 0.1, 0.1, 0.2}, 1 * MB, 2).strategy());
    }

    @Test
    void evaluate_tinyVector_switchesToTree() {
        StrategyPolicy policy = new StrategyPolicy(MODEL, SETTINGS, Strategy.RING);
        double[] compute = new double[8];
        Arrays.fill(compute, 0.01);
        assertEquals(Strategy.TREE, firstSwitch(policy, compute, 4e3, 2).strategy());
    }

    @Test
    void evaluate_noisyMeasurementsAroundBoundary_neverFlaps() {
        // Ring and PS-BSP predict within a few percent of each other (N = 4 workers, S = 4 shards);
        // 10% noise on compute and parameter size moves the winner back and forth.
        assertEquals(0, switches(new StrategyPolicy(MODEL, SETTINGS, Strategy.PS_BSP)));
        StrategyPolicy noHysteresis = new StrategyPolicy(MODEL, new StrategyPolicy.Settings(0, 1, 0, 0), Strategy.PS_BSP);
        assertTrue(switches(noHysteresis) > 20, "the boundary is real: without hysteresis the choice flaps");
    }

    private static int switches(StrategyPolicy policy) {
        Random r = new Random(7);
        int switches = 0;
        for (long step = 0; step < 5000; step += 10) {
            double[] compute = new double[4];
            for (int w = 0; w < 4; w++) compute[w] = 0.1 * (1 + 0.1 * r.nextGaussian());
            double bytes = 100 * MB * (1 + 0.1 * r.nextGaussian());
            if (policy.evaluate(measure(step, compute, bytes, 4)) instanceof SwitchTo) switches++;
        }
        return switches;
    }

    @Test
    void evaluate_withinCooldown_keepsEvenWhenAnotherStrategyWins() {
        StrategyPolicy policy = new StrategyPolicy(MODEL, new StrategyPolicy.Settings(0.15, 1, 100, 0), Strategy.PS_BSP);
        double[] even = {0.1, 0.1, 0.1, 0.1};
        assertInstanceOf(SwitchTo.class, policy.evaluate(measure(0, even, 100 * MB, 2)));
        double[] straggler = {0.1, 0.1, 0.1, 0.2};
        assertInstanceOf(Keep.class, policy.evaluate(measure(50, straggler, 1 * MB, 2)), "cooldown");
        assertInstanceOf(SwitchTo.class, policy.evaluate(measure(100, straggler, 1 * MB, 2)));
        assertEquals(Strategy.PS_SSP, policy.current());
    }

    @Test
    void stepSeconds_sspWithoutStragglers_losesToBspByItsStalenessPenalty() {
        Measurements m = measure(0, new double[] {0.1, 0.1}, 1 * MB, 2);
        assertTrue(MODEL.stepSeconds(Strategy.PS_SSP, m) > MODEL.stepSeconds(Strategy.PS_BSP, m));
        assertEquals(Double.POSITIVE_INFINITY, MODEL.stepSeconds(Strategy.PS_ASP, m));
    }
}
