package io.flock.actors.job;

import io.flock.strategies.Strategy;
import io.flock.actors.wire.FlockMessage;

/**
 * The coordinator's answer to a status query: the job it is running, if any.
 *
 * @param jobId      the active job, or null when the coordinator is idle
 * @param step       the next step to complete (steps done so far)
 * @param totalSteps the job's length in steps (0 while it is being prepared)
 * @param strategy   the synchronisation strategy in force, or null when idle
 * @param workers    workers taking part under the current membership
 * @param queued     jobs waiting behind the active one
 */
public record JobStatus(String jobId, long step, long totalSteps, Strategy strategy, int workers, int queued)
        implements FlockMessage {

    public boolean idle() {
        return jobId == null;
    }

    /** One line for people: "job j: step 12/100, ps-bsp, 2 worker(s)" or "no job running". */
    public String describe() {
        String queue = queued > 0 ? ", " + queued + " queued" : "";
        return idle() ? "no job running" + queue
                : "job " + jobId + ": step " + step + "/" + totalSteps + ", " + strategy.id() + ", " + workers
                        + " worker(s)" + queue;
    }
}
