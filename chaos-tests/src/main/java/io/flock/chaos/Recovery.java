package io.flock.chaos;

import java.util.List;

/**
 * Recovery arithmetic over the committed steps' arrival times: per fault, the time to the next
 * committed step and the longest gap without one until the next fault (follow-ups such as SIGCONT
 * or a heal do not end a fault's window: a stall often outlasts them); throughput before the first
 * fault, from it until the last fault's recovery, and after.
 */
final class Recovery {

    private Recovery() {}

    static RunReport report(String scenario, List<RunReport.Check> checks, List<ChaosRunner.FaultAt> faults,
            List<RunReport.TimelineEntry> timeline, List<TrainProcess.StepAt> steps) {
        return report(scenario, checks, faults, timeline, steps, List.of(), List.of(), List.of());
    }

    static RunReport report(String scenario, List<RunReport.Check> checks, List<ChaosRunner.FaultAt> faults,
            List<RunReport.TimelineEntry> timeline, List<TrainProcess.StepAt> steps, List<RunReport.NodeRecord> nodes,
            List<TrainProcess.RestoredAt> restores, List<String> notes) {
        double end = steps.isEmpty() ? 0 : steps.get(steps.size() - 1).seconds();
        List<RunReport.FaultRecord> records = new java.util.ArrayList<>();
        for (int i = 0; i < faults.size(); i++) {
            double at = faults.get(i).seconds();
            double until = end;
            for (int j = i + 1; j < faults.size(); j++) {
                if (!faults.get(j).followUp()) {
                    until = faults.get(j).seconds();
                    break;
                }
            }
            double[] gap = longestGap(steps, at, until);
            records.add(new RunReport.FaultRecord(at, faults.get(i).description(), nextStep(steps, at) - at,
                    gap[1] - at, gap[0], faults.get(i).followUp()));
        }
        return new RunReport(scenario, checks, records, timeline, steps, throughput(steps, records), nodes, restores, notes);
    }

    /** Time of the first step committed after {@code at}; NaN when none was. */
    static double nextStep(List<TrainProcess.StepAt> steps, double at) {
        return steps.stream().mapToDouble(TrainProcess.StepAt::seconds).filter(t -> t > at).findFirst().orElse(Double.NaN);
    }

    /**
     * The longest stretch without a committed step in [from, until], counting from {@code from}:
     * {length, time of the step that ended it}; {0, NaN} when no step came.
     */
    static double[] longestGap(List<TrainProcess.StepAt> steps, double from, double until) {
        double last = from;
        double[] longest = {0, Double.NaN};
        for (TrainProcess.StepAt s : steps) {
            if (s.seconds() <= from) continue;
            if (s.seconds() > until) break;
            if (s.seconds() - last > longest[0]) longest = new double[] {s.seconds() - last, s.seconds()};
            last = s.seconds();
        }
        return longest;
    }

    static RunReport.Throughput throughput(List<TrainProcess.StepAt> steps, List<RunReport.FaultRecord> faults) {
        if (steps.isEmpty()) return new RunReport.Throughput(Double.NaN, Double.NaN, Double.NaN);
        double start = steps.get(0).seconds();
        double end = steps.get(steps.size() - 1).seconds();
        if (faults.isEmpty()) return new RunReport.Throughput(rate(steps, start, end), Double.NaN, Double.NaN);
        double first = faults.get(0).seconds();
        RunReport.FaultRecord lastFault = faults.stream().filter(f -> !f.followUp()).reduce((a, b) -> b).orElseThrow();
        double recovered = Double.isNaN(lastFault.recoverySeconds()) ? end
                : Math.min(end, lastFault.seconds() + lastFault.recoverySeconds());
        return new RunReport.Throughput(rate(steps, start, first), rate(steps, first, recovered), rate(steps, recovered, end));
    }

    /** Steps committed in (from, to] per second; NaN for an empty window. */
    static double rate(List<TrainProcess.StepAt> steps, double from, double to) {
        if (to - from <= 0) return Double.NaN;
        return steps.stream().filter(s -> s.seconds() > from && s.seconds() <= to).count() / (to - from);
    }
}
