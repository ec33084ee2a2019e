package io.flock.actors.api;

import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingResult;
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
        long[] lastStep = {-1};
        return Behaviors.receive((ctx, event) -> {
            // A coordinator that took over re-reports steps the old one already reported: drop them.
            if (event instanceof TrainingEvent.StepCompleted s) {
                if (s.step() <= lastStep[0]) return Behaviors.same();
                lastStep[0] = s.step();
            }
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
