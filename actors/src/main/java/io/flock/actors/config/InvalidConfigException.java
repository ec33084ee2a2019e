package io.flock.actors.config;

import java.util.List;

/**
 * A node configuration (or a file read like one) is unusable; the message lists every problem
 * found, one per line, each naming the key and where it was set. Thrown by
 * {@code FlockNode.start}, {@code FlockConfig.validate} and the node's validator.
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
