package io.flock.actors.api;

import java.util.List;

/**
 * A node configuration (or a file read like one) is unusable; the message lists every problem
 * found, one per line, each naming the key and where it was set. Thrown by
 * {@link FlockNode#start} and {@link FlockConfig#validate}.
 */
public class InvalidConfigException extends IllegalArgumentException {

    private final List<String> problems;

    public InvalidConfigException(List<String> problems) {
        super("invalid configuration:\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
