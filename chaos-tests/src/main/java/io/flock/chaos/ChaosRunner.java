package io.flock.chaos;

import com.typesafe.config.ConfigRenderOptions;
import io.flock.actors.api.TrainingJob;
import io.flock.strategies.ReferenceLoop;
import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs one {@link Scenario}: starts its cluster, submits its job as a {@code flock train} process,
 * fires the timeline's faults, then checks that the job completed (Flock's final evaluation fails
 * it on any applied-step gap or duplicate), that its final parameters equal the fault-free
 * single-process {@link ReferenceLoop} within relative L2 1e-5, and that every process was reaped.
 * Writes the {@link RunReport} into the scenario's run directory.
 */
public final class ChaosRunner {

    /** Reads a job file into a job (the launcher's parser; the harness does not duplicate it). */
    @FunctionalInterface
    public interface JobReader {
        TrainingJob read(Path jobFile) throws Exception;
    }

    /** The BSP guarantee: relative L2 distance to the fault-free reference. */
    public static final double TOLERANCE = 1e-5;

    private static final long POLL_MILLIS = 50;

    private final ChaosCluster.Launch launch;
    private final JobReader jobReader;

    public ChaosRunner(ChaosCluster.Launch launch, JobReader jobReader) {
        this.launch = launch;
        this.jobReader = jobReader;
    }

    /** A pending SIGCONT for a paused node. */
    private record Resume(long atNanos, String node) {}

    /** Runs the scenario; the report says what held. Fails only when the run itself could not be set up. */
    public RunReport run(Scenario scenario) throws Exception {
        Path dir = launch.runDir().resolve(scenario.name());
        Files.createDirectories(dir);
        Path jobFile = dir.resolve("job.conf");
        Files.writeString(jobFile, scenario.job().root().render(ConfigRenderOptions.defaults().setOriginComments(false)));
        TrainingJob job = jobReader.read(jobFile);
        ChaosCluster.Launch here = new ChaosCluster.Launch(launch.jar(), launch.jvmFlags(), dir);
        List<RunReport.Check> checks = new ArrayList<>();
        List<FaultAt> faults = new ArrayList<>();
        List<RunReport.TimelineEntry> timeline = new ArrayList<>();
        long origin = System.nanoTime();
        TrainProcess train;
        int exit;
        try (ChaosCluster cluster = ChaosCluster.start(here, scenario.nodes(), Duration.ofSeconds(90))) {
            timeline.add(new RunReport.TimelineEntry(seconds(origin), "cluster Up: " + scenario.nodes().size() + " nodes"));
            train = TrainProcess.submit(cluster, jobFile, origin);
            exit = drive(scenario, cluster, train, origin, faults);
            for (ChaosCluster.Node n : cluster.nodes()) {
                if (!n.process().isAlive()) {
                    timeline.add(new RunReport.TimelineEntry(Double.NaN, n.name() + " exited with " + n.process().exitValue()
                            + " (" + n.state() + ")"));
                }
            }
            cluster.close();
            checks.add(new RunReport.Check("every process reaped", cluster.leftovers().isEmpty(),
                    "left alive: " + cluster.leftovers()));
        }
        checks.add(0, new RunReport.Check("job completed", exit == 0, "flock train exited with " + exit
                + (exit == 0 ? "" : ":\n" + Processes.tail(train.log(), 15))));
        if (exit == 0) checks.add(1, referenceCheck(job, train.finalParams()));
        train.memberships().forEach(m -> timeline.add(new RunReport.TimelineEntry(m.seconds(), "membership epoch "
                + m.epoch() + ": " + m.workers() + " worker(s), from step " + m.fromStep())));
        faults.forEach(f -> timeline.add(new RunReport.TimelineEntry(f.seconds, "fault: " + f.description)));
        timeline.sort(Comparator.comparingDouble(t -> Double.isNaN(t.seconds()) ? Double.MAX_VALUE : t.seconds()));
        RunReport report = Recovery.report(scenario.name(), checks, faults, timeline, train.steps());
        ReportWriter.write(report, dir);
        return report;
    }

    /** A fault as fired: when (seconds after origin) and what, with the node it resolved to. */
    record FaultAt(double seconds, String description) {}

    /** Fires the timeline while the job runs; returns flock train's exit code (-1 on timeout). */
    private int drive(Scenario scenario, ChaosCluster cluster, TrainProcess train, long origin, List<FaultAt> fired)
            throws Exception {
        long deadline = System.nanoTime() + scenario.timeout().toNanos();
        List<Scenario.Event> pending = new ArrayList<>(scenario.timeline());
        List<Resume> resumes = new ArrayList<>();
        while (train.isAlive() && System.nanoTime() < deadline) {
            for (Resume r : List.copyOf(resumes)) {
                if (System.nanoTime() >= r.atNanos()) {
                    cluster.resume(r.node());
                    fired.add(new FaultAt(seconds(origin), "SIGCONT " + r.node()));
                    resumes.remove(r);
                }
            }
            if (!pending.isEmpty() && due(pending.get(0).at(), train)) {
                Scenario.Event e = pending.remove(0);
                fired.add(new FaultAt(seconds(origin), fire(e.fault(), cluster, resumes)));
            }
            TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
        }
        for (Resume r : resumes) cluster.resume(r.node());
        return train.await(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    /** Whether a trigger has come (Java 17: no pattern switch over the sealed type). */
    private static boolean due(Scenario.Trigger at, TrainProcess train) {
        if (at instanceof Scenario.Trigger.AtStep s) return train.lastStep() >= s.step();
        return train.secondsSinceFirstStep() >= ((Scenario.Trigger.AtSeconds) at).seconds();
    }

    /** Injects one fault; returns its description with the node it hit. */
    private static String fire(Scenario.Fault fault, ChaosCluster cluster, List<Resume> resumes) throws Exception {
        if (fault instanceof Scenario.Fault.AddNode a) {
            cluster.addNode(a.node());
            return "add node " + a.node().name() + (a.node().hostShards() ? " (shards)" : "");
        }
        if (fault instanceof Scenario.Fault.Kill k) {
            String n = resolve(k.target(), cluster);
            cluster.kill9(n);
            return "kill -9 " + n;
        }
        if (fault instanceof Scenario.Fault.Pause p) {
            String n = resolve(p.target(), cluster);
            cluster.pause(n);
            resumes.add(new Resume(System.nanoTime() + p.duration().toNanos(), n));
            return "SIGSTOP " + n + " for " + p.duration().toMillis() / 1000.0 + " s";
        }
        String n = resolve(((Scenario.Fault.Leave) fault).target(), cluster);
        cluster.leave(n);
        return "SIGTERM (leave) " + n;
    }

    /** A target's node name: named nodes as they are, {@code coordinator} and {@code shard-primary} looked up now. */
    private static String resolve(Scenario.Target target, ChaosCluster cluster) {
        if (target.equals(Scenario.Target.COORDINATOR)) {
            return cluster.coordinatorNode().orElseThrow(() -> new IllegalStateException("no node runs the coordinator")).name();
        }
        if (target.equals(Scenario.Target.SHARD_PRIMARY)) {
            return cluster.shardPrimaryNode().orElseThrow(() -> new IllegalStateException(
                    "no node but the coordinator's hosts shard primaries")).name();
        }
        return cluster.node(target.name()).name();
    }

    /** Compares the final parameters with the fault-free single-process run of the same job. */
    static RunReport.Check referenceCheck(TrainingJob job, INDArray actual) {
        Dataset train = job.dataset().loadTrain();
        BatchPlan plan = new BatchPlan(job.seed(), train.size(), job.globalBatch(), job.microBatches());
        long steps = job.steps() > 0 ? job.steps() : plan.stepsPerEpoch() * job.epochs();
        INDArray expected = new ReferenceLoop(job.model().build(), train, plan, job.optimizer()).run(steps);
        double rel = actual.sub(expected).norm2Number().doubleValue() / expected.norm2Number().doubleValue();
        return new RunReport.Check("final parameters = fault-free reference", rel <= TOLERANCE,
                String.format("relative L2 %.3g (tolerance %.0e, %d steps)", rel, TOLERANCE, steps));
    }

    private static double seconds(long origin) {
        return (System.nanoTime() - origin) / 1e9;
    }
}
