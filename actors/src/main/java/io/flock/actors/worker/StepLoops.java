package io.flock.actors.worker;

import io.flock.strategies.Strategy;
import java.util.EnumMap;
import java.util.Map;

/**
 * The one place that maps a strategy to the worker's loop for it, by the strategy's
 * {@link Strategy.Family}: a new strategy of an existing family needs nothing here, a new family
 * one loop class and one line in {@link #create}. Each loop is made once per worker and kept
 * (its request ids keep growing, so a late answer to an earlier round is never mistaken for a
 * current one); switching strategies switches loops.
 */
final class StepLoops {

    private final LoopContext context;
    private final Map<Strategy.Family, StepLoop> loops = new EnumMap<>(Strategy.Family.class);

    StepLoops(LoopContext context) {
        this.context = context;
    }

    /** The loop that runs {@code strategy} on this worker. */
    StepLoop forStrategy(Strategy strategy) {
        return loops.computeIfAbsent(strategy.family(), family -> create(family, context));
    }

    /** A new loop for {@code family}. */
    static StepLoop create(Strategy.Family family, LoopContext context) {
        return switch (family) {
            case SHARDED_STEPS -> new BspLoop(context);
            case SHARDED_ON_ARRIVAL -> new SspLoop(context);
            case COLLECTIVE -> new CollectiveLoop(context);
            case POLICY -> throw new IllegalArgumentException(
                    "auto is not a way to synchronise: workers are assigned the strategy it chose");
        };
    }

    /** Every loop made so far leaves the job. */
    void releaseAll() {
        loops.values().forEach(StepLoop::release);
    }
}
