package io.flock.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Entry point of the {@code flock} command line: picocli parses the arguments and runs one
 * subcommand. Exit codes: 0 success, 1 the job or benchmark failed (reason on stderr), 2 bad usage
 * or an invalid configuration or job file.
 */
@Command(name = "flock", mixinStandardHelpOptions = true, versionProvider = FlockVersion.class,
        description = "Distributed training on a Pekko cluster.",
        subcommands = {NodeCommand.class, TrainCommand.class, StatusCommand.class, SwitchStrategyCommand.class, DemoCommand.class, BenchCommand.class, ChaosCommand.class, VersionCommand.class, CommandLine.HelpCommand.class})
public final class FlockCli implements Runnable {

    @Spec
    CommandSpec spec;

    /** Invoked without a subcommand: a usage error. */
    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand");
    }

    /** A fresh command line; tests call {@code execute} on it with their own out/err writers. */
    public static CommandLine commandLine() {
        return new CommandLine(new FlockCli());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
