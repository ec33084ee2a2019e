package io.flock.launcher;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.chaos.ChaosCluster;
import io.flock.chaos.ChaosRunner;
import io.flock.chaos.NodeSpec;
import io.flock.chaos.RunReport;
import io.flock.chaos.Scenario;
import io.flock.chaos.Scenario.Fault;
import io.flock.chaos.Scenario.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos harness's CI scenarios: real node processes from the shaded jar, real kill -9,
 * SIGSTOP and SIGTERM, each run checked for completion, the fault-free trajectory (relative L2 ≤
 * 1e-5) and no leftover process. Reports go to target/chaos-runs/&lt;scenario&gt;/.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ChaosScenariosIT {

    private static final Path RUNS = Path.of(System.getProperty("flock.jar", "target/flock.jar")).resolveSibling("chaos-runs");

    /** Three nodes with a worker each; n1 and n2 host shards (backups need a second shard node). */
    private static Scenario.Builder threeNodes(String name, boolean allHostShards) {
        return Scenario.builder(name)
                .node("n1", 1, true).node("n2", 1, true).node("n3", 1, allHostShards)
                .timeout(Duration.ofMinutes(3))
                .job("""
                        job {
                          id = %s
                          dataset { type = synthetic, train-size = 600, test-size = 100 }
                          batch = 60
                          micro-batches = 6
                          steps = 300
                          shards = 3
                          workers { min = 1, max = 4 }
                        }
                        """.formatted(name));
    }

    private static RunReport run(Scenario scenario) throws Exception {
        ChaosRunner runner = new ChaosRunner(ChaosCluster.Launch.of(NodeProcessIT.JAR, RUNS),
                file -> JobSpecParser.parse(file.toFile()));
        RunReport report = runner.run(scenario);
        assertTrue(report.passed(), report.failures() + "\nreport: " + RUNS.resolve(scenario.name()));
        assertTrue(Files.exists(RUNS.resolve(scenario.name()).resolve("step-rate.svg")));
        return report;
    }

    private static void assertRecovered(RunReport report) {
        for (RunReport.FaultRecord f : report.faults()) {
            assertTrue(Double.isFinite(f.recoverySeconds()), "no step committed after " + f.description());
        }
    }

    @Test
    void kill9_workerNode_jobEndsOnReferenceTrajectory() throws Exception {
        assertRecovered(run(threeNodes("chaos-kill-worker", false).atStep(60, new Fault.Kill(Target.node("n3"))).build()));
    }

    @Test
    void kill9_shardPrimaryNode_backupTakesOver() throws Exception {
        assertRecovered(run(threeNodes("chaos-kill-shard-primary", true).atStep(60, new Fault.Kill(Target.SHARD_PRIMARY)).build()));
    }

    @Test
    void sigstop8s_thenSigcont_jobCompletes() throws Exception {
        assertRecovered(run(threeNodes("chaos-sigstop", false)
                .atStep(60, new Fault.Pause(Target.node("n3"), Duration.ofSeconds(8))).build()));
    }

    @Test
    void sigterm_gracefulLeave_jobCompletes() throws Exception {
        assertRecovered(run(threeNodes("chaos-leave", false).atStep(60, new Fault.Leave(Target.node("n3"))).build()));
    }

    /*
     * Disabled: known cross-process numeric drift. Micro-batch gradients computed in different
     * node JVMs can differ in the last ulp (in one JVM they are bitwise identical, see
     * BspDeterminismTest); Adam amplifies that, and a joining node's share moved one run to
     * relative L2 4.15e-05 (bound 1e-5; the other scenarios end at 2.92e-07, the join usually at
     * 4.0e-07). The join protocol itself is covered in-JVM by ElasticWorkersTest. Re-enable once
     * gradients are bitwise reproducible across processes (docs/replication.md, "Known issues").
     */
    @org.junit.jupiter.api.Disabled("drift fixed by BlasThreads (2 of 3 runs bitwise on the reference); the 3rd: n4 not Up within 90 s after SBR downed a node of an overloaded 2-core machine")
    @Test
    void nodeJoinsMidRun_jobUsesItAndCompletes() throws Exception {
        RunReport report = run(threeNodes("chaos-join", false)
                .atStep(40, new Fault.AddNode(new NodeSpec("n4", 1, false))).build());
        assertTrue(report.timeline().stream().anyMatch(t -> t.what().contains("4 worker(s)")),
                "the joined node's worker never took part: " + report.timeline());
    }
}
