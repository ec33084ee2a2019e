package io.flock.actors.worker;

import io.flock.actors.dataplane.DataPlane;
import io.flock.actors.metrics.TrainingMetrics;
import io.flock.actors.shard.ParameterShard;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;

/**
 * The worker's side of its step loops, fixed for the actor's lifetime: where replies go, the
 * timers, the clock (a seam for tests), settings and the step delay in force. Metrics and the
 * data plane are looked up when first used, as before the loops existed.
 *
 * @param name         the worker's name, for logs
 * @param self         the worker, for answers addressed to it (replica copies)
 * @param shardReplies where shards answer the worker
 * @param nanoClock    {@link System#nanoTime} in production
 * @param stepDelay    the step delay set by {@link Worker.SetStepDelay}, read at each use
 */
record LoopContext(String name, Logger log, ActorRef<Worker.Command> self, ActorRef<ParameterShard.Reply> shardReplies,
        LoopScheduler scheduler, LongSupplier nanoClock, WorkerSettings settings, Supplier<TrainingMetrics> metrics,
        Supplier<DataPlane> dataPlane, Supplier<Duration> stepDelay) {

    long now() {
        return nanoClock.getAsLong();
    }
}
