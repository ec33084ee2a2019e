package io.flock.actors.shard;

import io.flock.strategies.Strategy;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * A strategy switch waiting for its clock ({@link ParameterShard.SwitchStrategy}): it takes
 * effect once the serving mode is exactly at the switch clock with nothing in flight, converting
 * state, reads waiting and backup to the new mode; within one kind of serving only the bound
 * changes, at once; a shard already past the clock refuses it. See docs/switching.md.
 */
final class ModeSwitch {

    /** What a pending switch does now. */
    enum Decision { WAIT, RETUNE, REFUSE, CONVERT }

    private ParameterShard.SwitchStrategy pending;

    /**
     * Serving kind {@code current} at {@code clock}, asked to switch to kind {@code target} at
     * {@code atClock}. {@code quiesced} is asked only at the clock.
     */
    static Decision decide(Strategy.Family current, Strategy.Family target, long clock, long atClock,
            BooleanSupplier quiesced) {
        if (current == target) return Decision.RETUNE;
        if (clock > atClock) return Decision.REFUSE;
        if (clock < atClock || !quiesced.getAsBoolean()) return Decision.WAIT;
        return Decision.CONVERT;
    }

    /** {@code sw} replaces any switch still pending. */
    void request(ParameterShard.SwitchStrategy sw) {
        pending = sw;
    }

    /** Applies the pending switch if it is due: returns the mode to serve with from now on. */
    ServingMode tryApply(ServingMode current, ServingModes modes, Logger log) {
        ParameterShard.SwitchStrategy sw = pending;
        if (sw == null) return current;
        Decision decision = decide(ServingModes.kindOf(current.strategy()), ServingModes.kindOf(sw.strategy()),
                current.clock(), sw.atClock(), current::quiesced);
        if (decision == Decision.WAIT) return current;
        pending = null;
        return switch (decision) {
            case RETUNE -> {
                current.retune(sw);
                yield current;
            }
            case REFUSE -> {
                ShardSpec spec = current.spec();
                sw.replyTo().tell(new ParameterShard.SwitchRefused(spec.jobId(), spec.shardIndex(), "shard "
                        + spec.shardIndex() + " is at clock " + current.clock() + ", past the switch point "
                        + sw.atClock()));
                yield current;
            }
            default -> convert(current, sw, modes, log);
        };
    }

    private static ServingMode convert(ServingMode current, ParameterShard.SwitchStrategy sw, ServingModes modes,
            Logger log) {
        ServingMode next = modes.enter(sw, current);
        List<Consumer<ServingMode>> reads = current.drainReads();
        log.info("{}: {} from clock {}", current.spec().entityId(), next.strategy().id(), sw.atClock());
        next.announceSwitch(sw.replyTo(), sw.atClock());
        reads.forEach(read -> read.accept(next));
        return next;
    }
}
