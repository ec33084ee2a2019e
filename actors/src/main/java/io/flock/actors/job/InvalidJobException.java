package io.flock.actors.job;

import java.util.List;

/**
 * A job file (or job {@code Config}) that cannot be turned into a {@link TrainingJob}. The message
 * lists every problem, one per line, each naming the job-file key as the user wrote it
 * ({@code job.batch}, {@code job.micro-batches}, ...) and, where known, the file and line.
 */
public final class InvalidJobException extends IllegalArgumentException {
    private final List<String> problems;

    public InvalidJobException(String source, List<String> problems) {
        super("invalid job " + source + ":\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    /** The problems, one per entry, without the header line. */
    public List<String> problems() {
        return problems;
    }
}
