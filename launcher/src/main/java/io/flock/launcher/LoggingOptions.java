package io.flock.launcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * The {@code --verbose} flag of every command. Flock logs at WARN by default so progress output
 * stays clean; verbose raises {@code io.flock} to INFO (Pekko and ND4J stay at WARN).
 */
final class LoggingOptions {

    @Option(names = {"-v", "--verbose"}, description = "Log Flock's own progress at INFO (default: warnings only).")
    boolean verbose;

    /** Applies the level; call first thing in a command. */
    void apply() {
        if (LoggerFactory.getLogger("io.flock") instanceof Logger flock) {
            flock.setLevel(verbose ? Level.INFO : Level.WARN);
        }
    }
}
