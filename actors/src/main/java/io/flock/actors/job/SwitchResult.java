package io.flock.actors.job;

import io.flock.strategies.Strategy;
import io.flock.actors.wire.FlockMessage;

/**
 * Outcome of a strategy switch: from step {@code atStep} on, job {@code jobId} runs under
 * {@code strategy}; or {@code error} says why it did not switch (the job then goes on unchanged).
 */
public record SwitchResult(String jobId, Strategy strategy, long atStep, String error) implements FlockMessage {

    public boolean ok() {
        return error == null;
    }
}
