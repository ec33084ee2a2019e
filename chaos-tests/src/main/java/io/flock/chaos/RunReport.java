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
 * @param nodes       every node process of the run and how it ended
 * @param restores    where a resumed job restarted from ({@code flock train --resume})
 * @param notes       observations that help read a failure but are no guarantee, e.g. an overloaded host
 */
public record RunReport(String scenario, List<Check> checks, List<FaultRecord> faults, List<TimelineEntry> timeline,
        List<TrainProcess.StepAt> steps, Throughput throughput, List<NodeRecord> nodes,
        List<TrainProcess.RestoredAt> restores, List<String> notes) {

    /**
     * A node process (one incarnation) as the run ended.
     *
     * @param harnessState what the harness last did to it (RUNNING: nothing; KILLED, LEAVING, PAUSED)
     * @param exitCode     its exit code, {@link #RUNNING_AT_END} when it still ran when the job ended
     * @param exitSeconds  when it exited, seconds after the run's origin; NaN when it still ran
     */
    public record NodeRecord(String name, int incarnation, long pid, String harnessState, int exitCode, double exitSeconds) {
        public static final int RUNNING_AT_END = Integer.MIN_VALUE;
    }

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
     * @param followUp          the end of an earlier fault (SIGCONT, heal, a link back to normal)
     */
    public record FaultRecord(double seconds, String description, double nextStepSeconds, double recoverySeconds,
            double longestGapSeconds, boolean followUp) {}

    /** A membership change or a node's exit, at {@code seconds} after the run's origin. */
    public record TimelineEntry(double seconds, String what) {}

    /** Steps per second in three windows; NaN for an empty window. */
    public record Throughput(double before, double during, double after) {}

    /** The node process {@code name} of incarnation {@code incarnation}. */
    public NodeRecord node(String name, int incarnation) {
        return nodes.stream().filter(n -> n.name().equals(name) && n.incarnation() == incarnation).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + name + " #" + incarnation + " in " + nodes));
    }

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
