package io.flock.actors.coordinator;

import io.flock.strategies.CostModel;
import io.flock.strategies.LinkFit;
import io.flock.strategies.StrategyDecision;
import io.flock.strategies.StrategyPolicy;
import io.flock.strategies.Strategy;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * The coordinator's side of the {@code auto} strategy: keeps a window of measurements — each
 * rank's compute seconds per step (from its step reports) and (bytes, seconds) samples of
 * transfers the coordinator timed itself (link probes to the workers over Artery) — and every
 * {@code evaluateEvery} committed steps hands them to the pure {@link StrategyPolicy}. Plain
 * state owned by the coordinator actor; no messaging here.
 */
public final class AutoStrategy {

    /** Tuning, from {@code flock.auto}; the node refuses to start with values out of range. */
    public record Settings(int evaluateEvery, int window, double stalenessPenalty, StrategyPolicy.Settings policy,
            int[] probeFloats) {

        public Settings {
            atLeast("evaluate-every", evaluateEvery, 1);
            atLeast("window", window, 1);
            atLeast("staleness-penalty", stalenessPenalty, 0);
            atLeast("min-gain", policy.minGain(), 0);
            atLeast("consecutive", policy.consecutive(), 1);
            atLeast("cooldown-steps", policy.cooldownSteps(), 0);
            atLeast("lead-steps", policy.leadSteps(), 0);
            if (java.util.Arrays.stream(probeFloats).distinct().count() < 2
                    || java.util.Arrays.stream(probeFloats).anyMatch(n -> n <= 0)) {
                throw new IllegalArgumentException("flock.auto.probe-floats needs at least two different positive "
                        + "sizes (the link fit needs two points), got " + java.util.Arrays.toString(probeFloats));
            }
        }

        private static void atLeast(String key, double value, double min) {
            if (!(value >= min)) {
                throw new IllegalArgumentException("flock.auto." + key + " must be >= " + (long) min + ", got " + value);
            }
        }

        public static Settings fromConfig(com.typesafe.config.Config c) {
            com.typesafe.config.Config a = c.getConfig("flock.auto");
            return new Settings(a.getInt("evaluate-every"), a.getInt("window"), a.getDouble("staleness-penalty"),
                    new StrategyPolicy.Settings(a.getDouble("min-gain"), a.getInt("consecutive"),
                            a.getLong("cooldown-steps"), a.getLong("lead-steps")),
                    a.getIntList("probe-floats").stream().mapToInt(Integer::intValue).toArray());
        }
    }

    private final Settings settings;
    private final StrategyPolicy policy;
    private final Map<Integer, Deque<Double>> compute = new HashMap<>();
    private final Deque<double[]> transfers = new ArrayDeque<>();
    private long lastEvaluated = Long.MIN_VALUE / 2;
    private org.nd4j.linalg.api.ndarray.INDArray[] probes;

    AutoStrategy(Settings settings, Strategy initial) {
        this.settings = settings;
        this.policy = new StrategyPolicy(new CostModel(settings.stalenessPenalty()), settings.policy(),
                initial);
    }

    /** The link probes' payloads, one per size, made once: sending does not change them. */
    org.nd4j.linalg.api.ndarray.INDArray[] probes() {
        if (probes == null) {
            probes = java.util.Arrays.stream(settings.probeFloats())
                    .mapToObj(n -> org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, n))
                    .toArray(org.nd4j.linalg.api.ndarray.INDArray[]::new);
        }
        return probes;
    }

    /** A rank's compute time for one step. */
    void recordCompute(int rank, double seconds) {
        Deque<Double> w = compute.computeIfAbsent(rank, r -> new ArrayDeque<>());
        w.addLast(seconds);
        while (w.size() > settings.window()) w.removeFirst();
    }

    /** One timed transfer of {@code bytes}. */
    void recordTransfer(double bytes, double seconds) {
        transfers.addLast(new double[] {bytes, seconds});
        while (transfers.size() > settings.window() * settings.probeFloats().length) transfers.removeFirst();
    }

    /** Forget per-rank windows: ranks mean other workers after a membership change. */
    void membershipChanged() {
        compute.clear();
    }

    /** Whether step {@code step} is an evaluation point (then the next one is evaluateEvery later). */
    boolean due(long step) {
        if (step - lastEvaluated < settings.evaluateEvery()) return false;
        lastEvaluated = step;
        return true;
    }

    /**
     * Evaluates the policy at {@code step}, or returns null when there is not yet a measurement
     * from every rank or the link cannot be fitted yet.
     */
    Evaluation evaluate(long step, int workers, long paramBytes, int shards, int microBatches, Strategy current) {
        if (compute.size() < workers || transfers.size() < 2) return null;
        double[] perRank = new double[workers];
        for (int r = 0; r < workers; r++) {
            Deque<Double> w = compute.get(r);
            if (w == null || w.isEmpty()) return null;
            perRank[r] = median(w.stream().mapToDouble(Double::doubleValue).toArray());
        }
        LinkFit link;
        try {
            link = LinkFit.fit(transfers.stream().mapToDouble(t -> t[0]).toArray(),
                    transfers.stream().mapToDouble(t -> t[1]).toArray());
        } catch (IllegalArgumentException noisy) {
            return null; // e.g. a GC pause made a small probe slower than a large one: measure more
        }
        CostModel.Measurements m = new CostModel.Measurements(step, perRank, link, paramBytes, shards, microBatches);
        CostModel model = new CostModel(settings.stalenessPenalty());
        StrategyDecision decision = policy.evaluate(m);
        Strategy best = model.best(m);
        String summary = String.format("compute per rank %s s, link %.2g s + %.3g GB/s; predicted %s %.4f s vs %s %.4f s",
                Arrays.toString(Arrays.stream(perRank).map(x -> Math.round(x * 1e4) / 1e4).toArray()),
                link.latencySeconds(), link.bytesPerSecond() / 1e9, best.id(), model.stepSeconds(best, m),
                current.id(), model.stepSeconds(current, m));
        return new Evaluation(decision, summary);
    }

    /** A policy decision and what it was based on. */
    record Evaluation(StrategyDecision decision, String summary) {}


    private static double median(double[] xs) {
        Arrays.sort(xs);
        return xs.length % 2 == 1 ? xs[xs.length / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
    }
}
