package io.flock.strategies;

import io.flock.strategies.CostModel.Measurements;

/**
 * The {@code auto} strategy: a pure policy that, fed measurements once per evaluation, answers
 * {@link StrategyDecision.Keep} or {@link StrategyDecision.SwitchTo}. Hysteresis keeps it from
 * flapping: it switches only when the cost model predicts the best strategy at least
 * {@code minGain} (a fraction) faster than the current one for {@code consecutive} evaluations
 * in a row, the same best each time, and never within {@code cooldownSteps} of its last switch.
 * A switch takes effect {@code leadSteps} after the evaluated step, so every member can be told
 * before that boundary. Single-threaded; the coordinator owns one per job.
 */
public final class StrategyPolicy {

    /** Tuning; see the class comment. */
    public record Settings(double minGain, int consecutive, long cooldownSteps, long leadSteps) {}

    private final CostModel model;
    private final Settings settings;
    private Strategy current;
    private Strategy candidate;
    private int streak;
    private long lastSwitchStep = Long.MIN_VALUE / 2;

    public StrategyPolicy(CostModel model, Settings settings, Strategy initial) {
        this.model = model;
        this.settings = settings;
        this.current = initial;
    }

    public StrategyDecision evaluate(Measurements m) {
        Strategy best = model.best(m);
        if (model.stepSeconds(best, m) >= model.stepSeconds(current, m)) best = current;
        double now = model.stepSeconds(current, m);
        double gain = (now - model.stepSeconds(best, m)) / now;
        if (best == current || gain < settings.minGain()) {
            streak = 0;
            return new StrategyDecision.Keep();
        }
        streak = best == candidate ? streak + 1 : 1;
        candidate = best;
        if (streak < settings.consecutive() || m.step() - lastSwitchStep < settings.cooldownSteps()) {
            return new StrategyDecision.Keep();
        }
        String reason = String.format("%s predicted %.1f%% faster than %s (%.4f s vs %.4f s per step) for %d evaluations",
                best.id(), 100 * gain, current.id(), model.stepSeconds(best, m), now, streak);
        current = best;
        streak = 0;
        lastSwitchStep = m.step();
        return new StrategyDecision.SwitchTo(best, m.step() + settings.leadSteps(), reason);
    }

    /** The strategy in force (or decided) as far as the policy knows. */
    public Strategy current() {
        return current;
    }
}
