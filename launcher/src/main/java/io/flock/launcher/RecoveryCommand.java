package io.flock.launcher;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flock bench recovery}: seconds from a node's crash to the next committed step, per
 * scenario (worker node, shard-primary node, coordinator node) and timing profile (Pekko's
 * defaults vs Flock's tuned settings); median over trials.
 */
@Command(name = "recovery", mixinStandardHelpOptions = true,
        description = "Seconds from a node crash to the next committed step (median of trials), defaults vs tuned.")
final class RecoveryCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LoggingOptions logging;

    @Option(names = "--trials", defaultValue = "5", description = "Trials per scenario and profile (default: ${DEFAULT-VALUE}).")
    int trials;

    @Option(names = "--scenarios", split = ",", defaultValue = "WORKER,SHARD,COORDINATOR",
            description = "Which crashes: ${COMPLETION-CANDIDATES} (default: all).")
    List<RecoveryBenchmark.Scenario> scenarios;

    @Option(names = "--profiles", split = ",", defaultValue = "TUNED,DEFAULTS",
            description = "Timing profiles: ${COMPLETION-CANDIDATES} (default: both).")
    List<RecoveryBenchmark.Profile> profiles;

    @Override
    public Integer call() throws Exception {
        TrainingOptions.requirePositive(spec, "--trials", trials);
        logging.apply();
        if (!logging.verbose) {
            // Each trial's cluster shutdown makes primaries re-place backups: correct, but noise here.
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.flock.actors.shard"))
                    .setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-12s %-9s %-40s %s%n", "crash", "profile", "seconds to the next committed step", "median");
        for (RecoveryBenchmark.Profile profile : profiles) {
            for (RecoveryBenchmark.Scenario scenario : scenarios) {
                List<Double> seconds = new ArrayList<>();
                for (int t = 0; t < trials; t++) seconds.add(RecoveryBenchmark.trial(scenario, profile, t));
                double[] sorted = seconds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                out.printf("%-12s %-9s %-40s %.1f%n", scenario.name().toLowerCase(), profile.name().toLowerCase(),
                        seconds.stream().map(s -> String.format("%.1f", s)).toList(), OverheadBenchmark.median(sorted));
                out.flush();
            }
        }
        return 0;
    }
}
