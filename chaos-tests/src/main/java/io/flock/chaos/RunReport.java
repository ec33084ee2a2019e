package io.flock.chaos;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What one scenario run showed: the checks and whether they held, each fault with its recovery,
 * the membership timeline and throughput before, during and after the faults. Rendered as
 * Markdown, JSON and an SVG plot of the step rate with the faults marked ({@link ReportWriter}).
 *
 * @param scenario    the scenario's name
 * @param checks      every guarantee checked, in order
 * @param faults      the faults as injected
 * @param timeline    membership changes and node exits, in time order
 * @param steps       every committed step with its arrival time (seconds after the run's origin)
 * @param throughput  steps per second before the first fault, from it until the last recovered, after
 */
public record RunReport(String scenario, List<Check> checks, List<FaultRecord> faults, List<TimelineEntry> timeline,
        List<TrainProcess.StepAt> steps, Throughput throughput) {

    /** One guarantee and whether it held. */
    public record Check(String name, boolean passed, String detail) {}

    /**
     * A fault as injected.
     *
     * @param seconds         when, after the run's origin
     * @param description     what, with the node it resolved to
     * @param nextStepSeconds   from the fault to the next committed step (NaN when none followed); a
     *                          step already in flight can commit right after a crash, so see also:
     * @param recoverySeconds   from the fault to the step that ended the longest stall (the longest
     *                          time without a committed step) before the next fault or the end
     * @param longestGapSeconds that stall's length
     */
    public record FaultRecord(double seconds, String description, double nextStepSeconds, double recoverySeconds,
            double longestGapSeconds) {}

    /** A membership change or a node's exit, at {@code seconds} after the run's origin. */
    public record TimelineEntry(double seconds, String what) {}

    /** Steps per second in three windows; NaN for an empty window. */
    public record Throughput(double before, double during, double after) {}

    public boolean passed() {
        return checks.stream().allMatch(Check::passed);
    }

    /** The failed checks, one a line, for assertion messages. */
    public String failures() {
        return checks.stream().filter(c -> !c.passed()).map(c -> c.name() + ": " + c.detail())
                .collect(Collectors.joining("\n"));
    }

    static String num(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
    }
}
