package io.flock.launcher;

import io.flock.chaos.ChaosCluster;
import io.flock.chaos.ChaosRunner;
import io.flock.chaos.RunReport;
import io.flock.chaos.ScenarioParser;
import java.io.File;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flock chaos}: the fault-injection harness of chaos-tests/ on the command line. */
@Command(name = "chaos", mixinStandardHelpOptions = true, description = "Fault-injection runs on a local multi-process cluster.",
        subcommands = ChaosCommand.Run.class)
final class ChaosCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing subcommand (run)");
    }

    /**
     * {@code flock chaos run <scenario-file>}: starts the scenario's nodes as processes of this jar on
     * 127.0.0.1, runs its job and faults, prints the report. Exit codes: 0 every check held, 1 a check
     * failed, 2 an invalid scenario file.
     */
    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run a scenario file (see chaos-tests/README.md); writes report.md, report.json, step-rate.svg.")
    static final class Run implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "SCENARIO-FILE")
        File scenarioFile;

        @Option(names = "--run-dir", defaultValue = "chaos-runs", description = "Where logs and reports go (default: ${DEFAULT-VALUE}).")
        Path runDir;

        @Option(names = "--jar", description = "The flock jar to start nodes from (default: the jar running this command).")
        Path jar;

        @Option(names = "--proxies", description = "Put every node behind the harness's TCP proxies even when the scenario "
                + "has no network fault (to measure what the proxies cost; network faults turn them on anyway).")
        boolean proxies;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            io.flock.chaos.Scenario scenario;
            try {
                scenario = ScenarioParser.parse(scenarioFile);
            } catch (ScenarioParser.InvalidScenarioException e) {
                err.println("flock chaos run: " + e.getMessage());
                err.flush();
                return ExitCode.USAGE;
            }
            Path flockJar = jar != null ? jar : Path.of(ChaosCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            ChaosRunner runner = new ChaosRunner(ChaosCluster.Launch.of(flockJar, runDir.toAbsolutePath()).withProxies(proxies));
            RunReport report = runner.run(scenario);
            out.println(io.flock.chaos.ReportWriter.markdown(report));
            out.println("Report: " + runDir.resolve(scenario.name()).resolve("report.md"));
            out.flush();
            return report.passed() ? ExitCode.OK : ExitCode.SOFTWARE;
        }
    }
}
