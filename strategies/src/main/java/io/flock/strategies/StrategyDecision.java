package io.flock.strategies;

/** What {@link StrategyPolicy} decided: keep the strategy in force, or switch at a step boundary. */
public sealed interface StrategyDecision {

    /** Keep the current strategy. */
    record Keep() implements StrategyDecision {}

    /** Switch to {@code strategy} at the boundary before step {@code atStep}; {@code reason} is for logs. */
    record SwitchTo(Strategy strategy, long atStep, String reason) implements StrategyDecision {}
}
