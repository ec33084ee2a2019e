package io.flock.actors.worker;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code flock.worker}, read once.
 *
 * @param pullRetry how long a worker waits for the shards to answer the pulls of a step (ps-bsp)
 *                  or clock (ps-ssp / ps-asp) before it asks the silent ones again; ps-bsp also
 *                  re-sends its last step's pushes to them then
 */
public record WorkerSettings(Duration pullRetry) {

    /** The defaults of {@code reference.conf}, for code that runs without a Config (tests). */
    public static final WorkerSettings DEFAULTS = new WorkerSettings(Duration.ofSeconds(5));

    public WorkerSettings {
        if (pullRetry == null || pullRetry.isNegative() || pullRetry.isZero()) {
            throw new IllegalArgumentException("flock.worker.pull-retry must be positive, got " + pullRetry);
        }
    }

    public static WorkerSettings fromConfig(Config config) {
        return new WorkerSettings(config.getDuration("flock.worker.pull-retry"));
    }
}
