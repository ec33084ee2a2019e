package io.flock.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionStrategy;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.RunLast;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Entry point of the {@code flock} command line: picocli parses the arguments and runs one
 * subcommand. Exit codes: 0 success, 1 the job or benchmark failed (reason on stderr), 2 bad usage
 * (an unknown command too, with or without {@code --help}) or an invalid configuration or job file.
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
        CommandLine cli = new CommandLine(new FlockCli());
        IExecutionStrategy runLast = new RunLast();
        cli.setExecutionStrategy(parsed -> {
            rejectUnknownCommands(parsed);
            return runLast.execute(parsed);
        });
        IParameterExceptionHandler usageError = cli.getParameterExceptionHandler();
        cli.setParameterExceptionHandler((e, args) -> usageError.handleParseException(unknownCommandOr(e), args));
        return cli;
    }

    /**
     * picocli skips its unmatched-argument check when {@code --help} is given, so {@code flock jobs
     * --help} would print the top-level usage and succeed: any unmatched argument is a usage error.
     */
    private static void rejectUnknownCommands(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (!p.unmatched().isEmpty() && !p.commandSpec().parser().unmatchedArgumentsAllowed()) {
                throw unknownCommandOr(new UnmatchedArgumentException(p.commandSpec().commandLine(), p.unmatched()));
            }
        }
    }

    /** An unmatched word where a subcommand was expected, reworded as "Unknown command"; other errors as they are. */
    private static ParameterException unknownCommandOr(ParameterException e) {
        if (!(e instanceof UnmatchedArgumentException u) || u.getCommandLine().getSubcommands().isEmpty()) return e;
        String first = u.getUnmatched().get(0);
        if (first.startsWith("-")) return e;
        CommandLine at = u.getCommandLine();
        return new ParameterException(at, "Unknown command '" + first + "' for '" + at.getCommandSpec().qualifiedName()
                + "'; commands: " + String.join(", ", at.getSubcommands().keySet()));
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
