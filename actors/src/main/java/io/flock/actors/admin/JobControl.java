package io.flock.actors.admin;

import io.flock.strategies.Strategy;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * What the admin endpoint may ask of the cluster's coordinator, as narrow functions with their own
 * small answers: the node that starts {@link AdminHttp} wires them to its coordinator, so this
 * package depends on neither the API nor the coordinator.
 */
public interface JobControl {

    /** The coordinator's status within {@code timeout}. */
    CompletionStage<Job> status(Duration timeout);

    /** Checkpoints job {@code jobId} at its next step boundary. */
    CompletionStage<Checkpointed> checkpoint(String jobId, Duration timeout);

    /** Switches job {@code jobId} to {@code target} at its next step boundary. */
    CompletionStage<Switched> switchStrategy(String jobId, Strategy target, Duration timeout);

    /**
     * The coordinator's job, {@code id} null when it is idle.
     *
     * @param strategy the strategy in force (its id), null when idle
     */
    record Job(String id, long step, long totalSteps, String strategy, int workers, int queued) {
        public boolean running() {
            return id != null;
        }
    }

    /** The checkpoint after {@code step} steps written to {@code path}, or {@code error} (non-null) why not. */
    record Checkpointed(String jobId, long step, String path, String error) {}

    /** Job {@code jobId} runs {@code strategy} from {@code atStep} on, or {@code error} (non-null) says why not. */
    record Switched(String jobId, String strategy, long atStep, String error) {}
}
