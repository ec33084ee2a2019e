package io.flock.actors.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flock.actors.shard.ModeSwitch.Decision;
import io.flock.strategies.Strategy;
import io.flock.strategies.Strategy.Family;
import org.junit.jupiter.api.Test;

class ModeSwitchTest {

    private static final Family STEPS = Family.SHARDED_STEPS;
    private static final Family ON_ARRIVAL = Family.SHARDED_ON_ARRIVAL;

    @Test
    void decide_sameKind_retunesAtOnceWhereverTheClock() {
        assertEquals(Decision.RETUNE, ModeSwitch.decide(ON_ARRIVAL, ON_ARRIVAL, 3, 10, () -> false));
        assertEquals(Decision.RETUNE, ModeSwitch.decide(STEPS, STEPS, 30, 10, () -> false));
    }

    @Test
    void decide_pastTheSwitchClock_refuses() {
        assertEquals(Decision.REFUSE, ModeSwitch.decide(STEPS, ON_ARRIVAL, 11, 10, () -> true));
    }

    @Test
    void decide_beforeTheSwitchClock_waitsWithoutAskingForQuiescence() {
        assertEquals(Decision.WAIT, ModeSwitch.decide(STEPS, ON_ARRIVAL, 9, 10, () -> {
            throw new AssertionError("quiescence asked before the clock");
        }));
    }

    @Test
    void decide_atTheClockWithGradientsInFlight_waits() {
        assertEquals(Decision.WAIT, ModeSwitch.decide(ON_ARRIVAL, STEPS, 10, 10, () -> false));
    }

    @Test
    void decide_atTheClockQuiesced_converts() {
        assertEquals(Decision.CONVERT, ModeSwitch.decide(ON_ARRIVAL, STEPS, 10, 10, () -> true));
        assertEquals(Decision.CONVERT, ModeSwitch.decide(STEPS, ON_ARRIVAL, 10, 10, () -> true));
    }

    @Test
    void kindOf_sspAndAspApplyOnArrival_restServeWholeSteps() {
        assertEquals(ON_ARRIVAL, ServingModes.kindOf(Strategy.PS_SSP));
        assertEquals(ON_ARRIVAL, ServingModes.kindOf(Strategy.PS_ASP));
        assertEquals(STEPS, ServingModes.kindOf(Strategy.PS_BSP));
        assertEquals(STEPS, ServingModes.kindOf(Strategy.RING), "collective strategies keep ps-bsp copies on shards");
    }
}
