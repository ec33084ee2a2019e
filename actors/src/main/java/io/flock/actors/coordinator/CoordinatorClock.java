package io.flock.actors.coordinator;

import java.util.function.LongSupplier;

/**
 * The coordinator's time source: a monotonic clock for step rates, stalls and link probes, and
 * wall-clock milliseconds for metrics and checkpoint files. Injected so that tests can fake it.
 */
public record CoordinatorClock(LongSupplier nanoTime, LongSupplier millis) {

    public static final CoordinatorClock SYSTEM = new CoordinatorClock(System::nanoTime, System::currentTimeMillis);

    long nanos() {
        return nanoTime.getAsLong();
    }

    long nowMillis() {
        return millis.getAsLong();
    }
}
