package io.flock.actors.worker;

import io.flock.actors.dataplane.CollectiveSession;
import java.time.Duration;

/**
 * What a step loop needs from its actor besides sending messages: timers, and the result of a
 * collective delivered as a message. The worker turns each into a private message of its own
 * and hands it to the loop in force; one timer per kind, so setting one replaces the previous.
 */
interface LoopScheduler {

    /** In {@code after}, {@link StepLoop#onPullRetry} with {@code request}. */
    void retryPulls(long request, Duration after);

    void cancelPullRetry();

    /** In {@code after}, {@link StepLoop#onStepDelayElapsed} with {@code epoch} and {@code token}. */
    void delayStep(long epoch, long token, Duration after);

    /** Once {@code session} completes, {@link StepLoop#onCollectiveDone} with it and {@code step}. */
    void whenDone(CollectiveSession session, long step);
}
