package io.flock.chaos;

import com.typesafe.config.ConfigRenderOptions;
import io.flock.strategies.Strategy;
import io.flock.actors.job.TrainingJob;
import io.flock.chaos.net.ChaosNetwork;
import io.flock.strategies.ReferenceLoop;
import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs one {@link Scenario}: starts its cluster (behind proxies when it has network faults),
 * submits its job as a {@code flock train} process, fires the timeline's faults, then checks that
 * every fault fired before the job ended, that the job completed (Flock's final evaluation fails
 * it on any applied-step gap or duplicate), that its final parameters equal the fault-free
 * single-process {@link ReferenceLoop} within relative L2 1e-5, that every proxied connection was
 * attributed to its process, and that every process was reaped. Writes the {@link RunReport} into
 * the scenario's run directory.
 */
public final class ChaosRunner {

    /** The BSP guarantee: relative L2 distance to the fault-free reference. */
    public static final double TOLERANCE = 1e-5;

    private static final long POLL_MILLIS = 50;

    private final ChaosCluster.Launch launch;

    public ChaosRunner(ChaosCluster.Launch launch) {
        this.launch = launch;
    }

    /** Runs the scenario; the report says what held. Fails only when the run itself could not be set up. */
    public RunReport run(Scenario scenario) throws Exception {
        Path dir = launch.runDir().resolve(scenario.name());
        Files.createDirectories(dir);
        deleteCheckpoints(dir.resolve("checkpoints"));
        Path jobFile = dir.resolve("job.conf");
        Files.writeString(jobFile, scenario.job().root().render(ConfigRenderOptions.defaults().setOriginComments(false)));
        TrainingJob job = TrainingJob.fromFile(jobFile);
        ChaosCluster.Launch here = launch.withRunDir(dir).withProxies(launch.proxied() || scenario.needsNetwork());
        List<RunReport.Check> checks = new ArrayList<>();
        List<RunReport.TimelineEntry> timeline = new ArrayList<>();
        Map<String, Path> logs = new LinkedHashMap<>();
        long origin = System.nanoTime();
        Driver driver;
        int exit;
        List<RunReport.NodeRecord> nodes;
        try (ChaosCluster cluster = ChaosCluster.start(here, scenario.nodes(), Duration.ofSeconds(90), origin)) {
            timeline.add(new RunReport.TimelineEntry(seconds(origin), "cluster Up: " + scenario.nodes().size() + " nodes"
                    + (here.proxied() ? " behind proxies" : "")));
            driver = new Driver(scenario, cluster, jobFile, origin);
            exit = driver.drive();
            nodes = nodeRecords(cluster, origin);
            cluster.incarnations().stream().filter(n -> !driver.paused.contains(n.name())) // frozen on purpose
                    .forEach(n -> logs.put(n.name() + (n.incarnation() == 1 ? "" : " #" + n.incarnation()), n.log()));
            checks.add(new RunReport.Check("every fault fired before the job ended", driver.pending.isEmpty(),
                    "not fired: " + driver.pending.stream().map(e -> e.at() + " " + e.fault()).toList()));
            cluster.network().ifPresent(n -> checks.add(new RunReport.Check("every proxied connection attributed",
                    n.unidentifiedConnections() == 0, n.unidentifiedConnections() + " connection(s) of unknown source "
                            + "passed without rules (network.log)")));
            cluster.close();
            checks.add(new RunReport.Check("every process reaped", cluster.leftovers().isEmpty(),
                    "left alive: " + cluster.leftovers()));
        }
        checks.add(0, completion(exit, scenario, driver));
        if (exit == 0) {
            checks.add(1, bulkSynchronous(job, scenario)
                    ? referenceCheck(job, driver.train.finalParams(), losses(driver.trains))
                    : auditCheck(driver.trains.stream().flatMap(t -> t.audits().stream()).toList()));
        }
        List<TrainProcess.StepAt> steps = new ArrayList<>();
        List<TrainProcess.RestoredAt> restores = new ArrayList<>();
        for (TrainProcess t : driver.trains) {
            steps.addAll(t.steps());
            restores.addAll(t.restores());
        }
        steps.sort(Comparator.comparingDouble(TrainProcess.StepAt::seconds));
        timeline.addAll(timeline(driver, nodes, restores));
        timeline.sort(Comparator.comparingDouble(t -> Double.isNaN(t.seconds()) ? Double.MAX_VALUE : t.seconds()));
        RunReport report = Recovery.report(scenario.name(), checks, driver.fired, timeline, steps, nodes, restores,
                HostLoad.notes(logs));
        ReportWriter.write(report, dir);
        return report;
    }

    /** Whether the (last) flock train process ended with 0, and if not, why, with the end of its log. */
    private static RunReport.Check completion(int exit, Scenario scenario, Driver driver) {
        String what = exit == TrainProcess.TIMED_OUT
                ? "flock train did not end within the scenario's timeout of " + scenario.timeout().toSeconds()
                        + " s (last step " + driver.lastStep() + ")"
                : "flock train exited with " + exit;
        return new RunReport.Check("job completed", exit == 0,
                what + (exit == 0 ? "" : ":\n" + Processes.tail(driver.train.log(), 15)));
    }

    /** Membership changes, restores, faults and node exits, unsorted. */
    private static List<RunReport.TimelineEntry> timeline(Driver driver, List<RunReport.NodeRecord> nodes,
            List<TrainProcess.RestoredAt> restores) {
        List<RunReport.TimelineEntry> timeline = new ArrayList<>();
        driver.trains.forEach(t -> t.memberships().forEach(m -> timeline.add(new RunReport.TimelineEntry(m.seconds(),
                "membership epoch " + m.epoch() + ": " + m.workers() + " worker(s), from step " + m.fromStep()))));
        restores.forEach(r -> timeline.add(new RunReport.TimelineEntry(r.seconds(), r.path().equals("-")
                ? "no usable checkpoint: the resumed job starts from step 0"
                : "restored from " + r.path() + " (after step " + r.step() + ", " + r.rejected() + " newer file(s) skipped)")));
        driver.fired.forEach(f -> timeline.add(new RunReport.TimelineEntry(f.seconds(), (f.followUp() ? "" : "fault: ")
                + f.description())));
        nodes.stream().filter(n -> n.exitCode() != RunReport.NodeRecord.RUNNING_AT_END).forEach(n -> timeline.add(
                new RunReport.TimelineEntry(n.exitSeconds(), n.name() + " (pid " + n.pid() + ") exited with " + n.exitCode()
                        + " (" + n.harnessState() + ")")));
        return timeline;
    }

    /**
     * A fault as fired: when (seconds after origin) and what, with the node it resolved to;
     * {@code followUp} for the end of an earlier fault (SIGCONT, heal, a link back to normal).
     */
    record FaultAt(double seconds, String description, boolean followUp) {
        FaultAt(double seconds, String description) {
            this(seconds, description, false);
        }
    }

    /** An action due at {@code atNanos}: the end of a pause, partition or link fault. */
    private record FollowUp(long atNanos, String description, Action action) {}

    @FunctionalInterface
    private interface Action {
        void run() throws Exception;
    }

    /** Fires a scenario's timeline against a running cluster and job; one thread. */
    private static final class Driver {
        private final Scenario scenario;
        private final ChaosCluster cluster;
        private final Path jobFile;
        private final long origin;
        private final List<Scenario.Event> pending;
        private final List<FollowUp> followUps = new ArrayList<>();
        private int switches;
        private final List<FaultAt> fired = new ArrayList<>();
        private final List<TrainProcess> trains = new ArrayList<>();
        /** Nodes the scenario froze with SIGSTOP: their own delayed heartbeats say nothing about the host. */
        private final Set<String> paused = new HashSet<>();
        private TrainProcess train;
        /** The step committed when the previous fault was done (for {@link Scenario.Trigger.AfterSteps}). */
        private long stepAtLastFault = -1;

        Driver(Scenario scenario, ChaosCluster cluster, Path jobFile, long origin) {
            this.scenario = scenario;
            this.cluster = cluster;
            this.jobFile = jobFile;
            this.origin = origin;
            this.pending = new ArrayList<>(scenario.timeline());
            this.train = TrainProcess.submit(cluster, jobFile, origin);
            trains.add(train);
        }

        /** Fires the timeline while the job runs; returns the last flock train's exit code (-1 on timeout). */
        int drive() throws Exception {
            long deadline = System.nanoTime() + scenario.timeout().toNanos();
            while (train.isAlive() && System.nanoTime() < deadline) {
                runDueFollowUps(false);
                if (!pending.isEmpty() && due(pending.get(0).at())) {
                    Scenario.Event e = pending.remove(0);
                    double at = seconds(origin);
                    fired.add(new FaultAt(at, fire(e.fault())));
                    stepAtLastFault = lastStep();
                }
                TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
            }
            int exit = train.await(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            runDueFollowUps(true);
            return exit;
        }

        private void runDueFollowUps(boolean all) throws Exception {
            for (FollowUp f : List.copyOf(followUps)) {
                if (all || System.nanoTime() >= f.atNanos()) {
                    f.action().run();
                    fired.add(new FaultAt(seconds(origin), f.description(), true));
                    followUps.remove(f);
                }
            }
        }

        /** Whether a trigger has come (Java 17: no pattern switch over the sealed type). */
        private boolean due(Scenario.Trigger at) {
            if (at instanceof Scenario.Trigger.AtStep s) return lastStep() >= s.step();
            if (at instanceof Scenario.Trigger.AfterSteps a) return lastStep() >= stepAtLastFault + a.steps();
            return trains.get(0).secondsSinceFirstStep() >= ((Scenario.Trigger.AtSeconds) at).seconds();
        }

        /** The highest step committed so far, by any of the run's flock train processes. */
        private long lastStep() {
            return trains.stream().mapToLong(TrainProcess::lastStep).max().orElse(-1);
        }

        /** Injects one fault; returns its description with the processes it hit. */
        private String fire(Scenario.Fault fault) throws Exception {
            if (fault instanceof Scenario.Fault.NetworkFault n) return fireNetwork(n, cluster.network().orElseThrow());
            if (fault instanceof Scenario.Fault.AddNode a) {
                cluster.addNode(a.node());
                return "add node " + a.node().name() + (a.node().hostShards() ? " (shards)" : "");
            }
            if (fault instanceof Scenario.Fault.FullRestart) return fullRestart();
            if (fault instanceof Scenario.Fault.Switch s) return switchStrategy(s);
            if (fault instanceof Scenario.Fault.Kill k) {
                String n = node(k.target());
                cluster.kill9(n);
                return "kill -9 " + n;
            }
            if (fault instanceof Scenario.Fault.Pause p) {
                String n = node(p.target());
                cluster.pause(n);
                paused.add(n);
                followUps.add(new FollowUp(System.nanoTime() + p.duration().toNanos(), "SIGCONT " + n, () -> cluster.resume(n)));
                return "SIGSTOP " + n + " for " + p.duration().toMillis() / 1000.0 + " s";
            }
            if (fault instanceof Scenario.Fault.Restart r) {
                String n = node(r.target());
                long t0 = System.nanoTime();
                ChaosCluster.Node old = cluster.node(n);
                cluster.restart(n);
                return String.format("restart %s: SIGTERM, exit %d, new process Up after %.1f s", n,
                        old.process().exitValue(), (System.nanoTime() - t0) / 1e9);
            }
            String n = node(((Scenario.Fault.Leave) fault).target());
            cluster.leave(n);
            return "SIGTERM (leave) " + n;
        }

        /** {@code flock switch <to>} as a client process; its answer (the step it took effect at) or a failure. */
        private String switchStrategy(Scenario.Fault.Switch s) throws Exception {
            String name = "switch-" + (++switches);
            Process p = cluster.startMember(name, List.of("switch", s.to().id()));
            java.util.concurrent.CompletableFuture<String> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    return "(output unreadable: " + e.getMessage() + ")";
                }
            });
            String output;
            try {
                output = out.get(150, TimeUnit.SECONDS);
                p.waitFor(30, TimeUnit.SECONDS);
            } finally {
                p.destroyForcibly();
            }
            java.nio.file.Files.writeString(cluster.runDir().resolve(name + ".log"), output);
            String answer = output.lines().filter(l -> l.startsWith("job ") || l.startsWith("flock switch:"))
                    .reduce((a, b) -> b).orElse(output.strip());
            if (p.exitValue() != 0) throw new IllegalStateException("flock switch " + s.to().id() + " failed: " + answer);
            return "flock switch " + s.to().id() + ": " + answer;
        }

        /** kill -9 of every node and the client, a fresh cluster, {@code flock train --resume}. */
        private String fullRestart() throws Exception {
            long t0 = System.nanoTime();
            String killed = cluster.nodes().stream().filter(ChaosCluster.Node::isServing).map(ChaosCluster.Node::name)
                    .collect(Collectors.joining(", "));
            cluster.killAll();
            train.kill();
            cluster.startAgain();
            double up = (System.nanoTime() - t0) / 1e9;
            train = TrainProcess.resume(cluster, jobFile, origin, "train-" + (trains.size() + 1) + ".log");
            trains.add(train);
            return String.format("full restart: kill -9 %s and flock train; fresh cluster Up after %.1f s; "
                    + "flock train --resume", killed, up);
        }

        private String fireNetwork(Scenario.Fault.NetworkFault fault, ChaosNetwork net) {
            if (fault instanceof Scenario.Fault.Partition p) {
                List<Set<String>> sides = new ArrayList<>();
                for (List<Scenario.Target> side : p.sides()) sides.add(side.stream().map(this::process).collect(Collectors.toSet()));
                int largest = 0;
                for (int i = 1; i < sides.size(); i++) if (sides.get(i).size() > sides.get(largest).size()) largest = i;
                Set<String> others = new HashSet<>(allProcesses());
                sides.forEach(others::removeAll);
                int cut = net.partition(sides, largest);
                String partition = "partition " + sides.stream().map(s -> s.stream().sorted().toList().toString())
                        .collect(Collectors.joining(" | "));
                later(p.duration(), "heal " + partition, net::heal);
                return partition + (others.isEmpty() ? "" : " (" + others.stream().sorted().toList() + " on side "
                        + (largest + 1) + ")") + ": " + cut + " connection(s) cut" + forDuration(p.duration());
            }
            if (fault instanceof Scenario.Fault.Heal) {
                net.heal();
                return "heal";
            }
            if (fault instanceof Scenario.Fault.Latency l) {
                List<ChaosNetwork.Link> links = links(l.from(), l.to(), l.bothWays());
                links.forEach(link -> net.latency(link, l.delay()));
                later(l.duration(), "latency off on " + links, () -> links.forEach(link -> net.latency(link, Duration.ZERO)));
                return "latency " + l.delay().toMillis() + " ms on " + links + forDuration(l.duration());
            }
            if (fault instanceof Scenario.Fault.Bandwidth b) {
                List<ChaosNetwork.Link> links = links(b.from(), b.to(), b.bothWays());
                links.forEach(link -> net.bandwidth(link, b.bytesPerSecond()));
                later(b.duration(), "bandwidth unlimited on " + links, () -> links.forEach(link -> net.bandwidth(link, 0)));
                return "bandwidth " + b.bytesPerSecond() + " B/s on " + links + forDuration(b.duration());
            }
            Scenario.Fault.Drop d = (Scenario.Fault.Drop) fault;
            List<ChaosNetwork.Link> links = links(d.from(), d.to(), d.bothWays());
            int cut = links.stream().mapToInt(net::drop).sum();
            return "drop " + links + ": " + cut + " connection(s) reset";
        }

        private void later(Duration after, String description, Action action) {
            if (!after.isZero()) followUps.add(new FollowUp(System.nanoTime() + after.toNanos(), description, action));
        }

        private static String forDuration(Duration d) {
            return d.isZero() ? " until the end" : " for " + d.toMillis() / 1000.0 + " s";
        }

        private List<ChaosNetwork.Link> links(Scenario.Target from, Scenario.Target to, boolean bothWays) {
            ChaosNetwork.Link link = new ChaosNetwork.Link(process(from), process(to));
            return bothWays ? List.of(link, new ChaosNetwork.Link(link.to(), link.from())) : List.of(link);
        }

        /** Every process on the network: the nodes and the client. */
        private List<String> allProcesses() {
            List<String> all = new ArrayList<>(cluster.nodes().stream().map(ChaosCluster.Node::name).toList());
            all.add(Scenario.Target.TRAIN.name());
            return all;
        }

        /** A network fault's target: a node (resolved as for process faults) or the client. */
        private String process(Scenario.Target target) {
            return target.equals(Scenario.Target.TRAIN) ? target.name() : node(target);
        }

        /** A node's name: named nodes as they are, {@code coordinator} and {@code shard-primary} looked up now. */
        private String node(Scenario.Target target) {
            if (target.equals(Scenario.Target.COORDINATOR)) {
                return cluster.coordinatorNode().orElseThrow(() -> new IllegalStateException("no node runs the coordinator")).name();
            }
            if (target.equals(Scenario.Target.SHARD_PRIMARY)) {
                return cluster.shardPrimaryNode().orElseThrow(() -> new IllegalStateException(
                        "no node but the coordinator's hosts shard primaries")).name();
            }
            return cluster.node(target.name()).name();
        }
    }

    /** A run starts without checkpoints: a resume must find this run's, not an earlier run's. */
    private static void deleteCheckpoints(Path dir) throws java.io.IOException {
        if (!Files.isDirectory(dir)) return;
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) Files.delete(f);
        }
    }

    /** Every node process of the run with how it ended (before the harness reaps the rest). */
    private static List<RunReport.NodeRecord> nodeRecords(ChaosCluster cluster, long origin) {
        return cluster.incarnations().stream().map(n -> {
            boolean exited = !n.process().isAlive();
            return new RunReport.NodeRecord(n.name(), n.incarnation(), n.pid(), n.state().name(),
                    exited ? n.process().exitValue() : RunReport.NodeRecord.RUNNING_AT_END,
                    exited && n.exitNanos() > 0 ? (n.exitNanos() - origin) / 1e9 : Double.NaN);
        }).toList();
    }

    /**
     * Compares the final parameters with the fault-free single-process run of the same job, and
     * names the first step whose reported loss differs from the reference's (bit for bit): the
     * parameters at that step were the first to leave the trajectory, which is where to look
     * when the final distance is over the bound.
     */
    static RunReport.Check referenceCheck(TrainingJob job, INDArray actual, Map<Long, Double> reportedLosses) {
        Dataset train = job.dataset().loadTrain();
        BatchPlan plan = new BatchPlan(job.seed(), train.size(), job.globalBatch(), job.microBatches());
        long steps = job.steps() > 0 ? job.steps() : plan.stepsPerEpoch() * job.epochs();
        ReferenceLoop reference = new ReferenceLoop(job.model().build(), train, plan, job.optimizer());
        String firstDiff = "every reported step loss equals the reference's";
        boolean found = false;
        for (long s = 0; s < steps; s++) {
            double expectedLoss = reference.step();
            Double reported = reportedLosses.get(s);
            if (!found && reported != null && !reported.isNaN() && reported != expectedLoss) {
                found = true;
                firstDiff = String.format("first step whose loss differs: %d (%s, reference %s)", s, reported, expectedLoss);
            }
        }
        INDArray expected = reference.params();
        double rel = actual.sub(expected).norm2Number().doubleValue() / expected.norm2Number().doubleValue();
        return new RunReport.Check("final parameters = fault-free reference", rel <= TOLERANCE,
                String.format("relative L2 %.3g (tolerance %.0e, %d steps); %s", rel, TOLERANCE, steps, firstDiff));
    }

    /**
     * Whether the run must end on the fault-free reference: it starts in the bulk-synchronous
     * family (ps-bsp, ring, tree) and no scenario switch leaves it. Under ps-ssp, ps-asp and auto
     * (which may choose ps-ssp) the trajectory depends on timing; {@link #auditCheck} applies instead.
     */
    static boolean bulkSynchronous(TrainingJob job, Scenario scenario) {
        return deterministic(job.strategy()) && scenario.timeline().stream()
                .noneMatch(e -> e.fault() instanceof Scenario.Fault.Switch s && !deterministic(s.to()));
    }

    private static boolean deterministic(Strategy s) {
        return s == Strategy.PS_BSP || s == Strategy.RING || s == Strategy.TREE;
    }

    /**
     * Under ps-ssp / ps-asp: every audit the coordinator ran at a re-sync found each acknowledged
     * gradient applied on every shard (the coordinator also fails the job when one is missing).
     */
    static RunReport.Check auditCheck(List<TrainProcess.AuditAt> audits) {
        long missing = audits.stream().mapToLong(TrainProcess.AuditAt::missing).sum();
        long checked = audits.stream().mapToLong(TrainProcess.AuditAt::acknowledged).sum();
        String detail = audits.isEmpty() ? "no re-sync, so no audit ran"
                : String.format("%d audit(s) at re-syncs: %d acknowledged gradient(s) checked on every shard, %d missing",
                        audits.size(), checked, missing);
        return new RunReport.Check("no acknowledged gradient lost", missing == 0, detail);
    }

    /** The step losses every train process of the run reported (a resumed run's override the first's). */
    private static Map<Long, Double> losses(List<TrainProcess> trains) {
        Map<Long, Double> all = new HashMap<>();
        for (TrainProcess t : trains) all.putAll(t.losses());
        return all;
    }

    private static double seconds(long origin) {
        return (System.nanoTime() - origin) / 1e9;
    }
}
