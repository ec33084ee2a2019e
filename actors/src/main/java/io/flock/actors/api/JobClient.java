package io.flock.actors.api;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The submitter-side actor of one job: receives the coordinator's {@link TrainingEvent}s, hands
 * them to the user's listener in order, and completes the result future at the end.
 */
final class JobClient {

    private JobClient() {}

    static Behavior<TrainingEvent> create(Consumer<TrainingEvent> listener, CompletableFuture<TrainingResult> result) {
        return Behaviors.receive((ctx, event) -> {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                ctx.getLog().warn("job {}: event listener threw on {}", event.jobId(), event, e);
            }
            if (event instanceof TrainingEvent.Completed c) {
                result.complete(c.result());
                return Behaviors.stopped();
            }
            if (event instanceof TrainingEvent.Failed f) {
                result.completeExceptionally(new JobHandle.JobFailedException(f.jobId(), f.reason()));
                return Behaviors.stopped();
            }
            return Behaviors.same();
        });
    }
}
