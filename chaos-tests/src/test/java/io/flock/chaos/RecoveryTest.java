package io.flock.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecoveryTest {

    /** Steps every 0.1 s from 1.0 s, a stall from 3.0 s to 6.0 s, then every 0.1 s again. */
    private static List<TrainProcess.StepAt> steps() {
        List<TrainProcess.StepAt> steps = new ArrayList<>();
        long step = 0;
        for (double t = 1.0; t <= 3.01; t += 0.1) steps.add(new TrainProcess.StepAt(step++, t, 3));
        for (double t = 6.0; t <= 8.01; t += 0.1) steps.add(new TrainProcess.StepAt(step++, t, 2));
        return steps;
    }

    @Test
    void report_crashDuringInFlightStep_recoveryIsEndOfStall() {
        RunReport r = Recovery.report("x", List.of(), List.of(new ChaosRunner.FaultAt(2.95, "kill -9 n3")), List.of(), steps());
        RunReport.FaultRecord f = r.faults().get(0);
        assertEquals(0.05, f.nextStepSeconds(), 1e-6);
        assertEquals(3.05, f.recoverySeconds(), 1e-6);
        assertEquals(3.0, f.longestGapSeconds(), 1e-6);
        assertEquals(10.0, r.throughput().before(), 1.0);
        assertEquals(10.0, r.throughput().after(), 1.0);
        assertTrue(r.throughput().during() < 1.0, "during: " + r.throughput().during());
    }

    @Test
    void report_followUpInsideTheStall_doesNotCutThePrimaryFaultsWindow() {
        RunReport r = Recovery.report("x", List.of(), List.of(new ChaosRunner.FaultAt(2.95, "partition [n3] | [n1, n2]"),
                new ChaosRunner.FaultAt(4.0, "heal", true)), List.of(), steps());
        assertEquals(3.05, r.faults().get(0).recoverySeconds(), 1e-6);
        assertEquals(3.0, r.faults().get(0).longestGapSeconds(), 1e-6);
        assertTrue(r.faults().get(1).followUp());
        assertEquals(2.0, r.faults().get(1).nextStepSeconds(), 1e-6);
        assertTrue(ReportWriter.markdown(r).contains("| 4.00 | ↳ heal |"), ReportWriter.markdown(r));
    }

    @Test
    void hostLoad_delayedHeartbeats_giveOneNoteWithTheLongest(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path n1 = dir.resolve("n1.log");
        java.nio.file.Path n2 = dir.resolve("n2.log");
        java.nio.file.Files.writeString(n1, "WARN ClusterHeartbeat - Scheduled sending of heartbeat was delayed. "
                + "Previous heartbeat was sent [1231] ms ago, expected interval is [500] ms.\n");
        java.nio.file.Files.writeString(n2, "WARN ClusterHeartbeat - Previous heartbeat was sent [12433] ms ago\n"
                + "WARN ClusterHeartbeat - Previous heartbeat was sent [1064] ms ago\n");

        List<String> notes = HostLoad.notes(new java.util.LinkedHashMap<>(java.util.Map.of("n1", n1, "n2", n2)));

        assertEquals(1, notes.size());
        assertTrue(notes.get(0).contains("3 delayed heartbeat(s)") && notes.get(0).contains("12.4 s (n2)"), notes.get(0));
        assertTrue(HostLoad.notes(java.util.Map.of("n1", dir.resolve("missing.log"))).isEmpty());
    }

    @Test
    void report_noFaults_onlyBefore() {
        RunReport r = Recovery.report("x", List.of(), List.of(), List.of(), steps());
        assertTrue(Double.isNaN(r.throughput().during()) && Double.isNaN(r.throughput().after()));
    }

    @Test
    void writer_renders_markdownJsonAndSvgWithFaultMarked() {
        RunReport r = Recovery.report("kill \"w\"", List.of(new RunReport.Check("job completed", true, "exit 0")),
                List.of(new ChaosRunner.FaultAt(2.95, "kill -9 n3")), List.of(new RunReport.TimelineEntry(2.95, "fault")), steps());
        assertTrue(ReportWriter.markdown(r).contains("| 2.95 | kill -9 n3 | 0.05 | 3.05 | 3.00 |"), ReportWriter.markdown(r));
        assertTrue(ReportWriter.json(r).contains("\"scenario\": \"kill \\\"w\\\"\""), ReportWriter.json(r));
        assertTrue(ReportWriter.json(r).contains("\"recoverySeconds\": 3.050"), ReportWriter.json(r));
        String svg = ReportWriter.svg(r);
        assertTrue(svg.contains("stroke=\"red\"") && svg.contains("kill -9 n3") && svg.contains("<rect"), svg);
    }
}
