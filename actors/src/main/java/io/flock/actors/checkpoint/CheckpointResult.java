package io.flock.actors.checkpoint;

import io.flock.actors.wire.FlockMessage;

/**
 * Outcome of a checkpoint request: the file written for the state after {@code version} steps,
 * or an error (then {@code path} is empty).
 */
public record CheckpointResult(String jobId, long version, String path, String error) implements FlockMessage {

    public boolean ok() {
        return error == null || error.isEmpty();
    }
}
