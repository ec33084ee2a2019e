package io.flock.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Flock cluster of real {@code java -jar flock.jar node} processes on 127.0.0.1, each with its
 * own free Artery and metrics ports and its own log file under the run directory, plus the faults
 * that act on whole processes: kill -9, SIGSTOP/SIGCONT, SIGTERM (graceful leave) and adding a
 * node. Every process it starts (nodes and {@link TrainProcess}es) is reaped by {@link #close()}
 * and, should the harness JVM exit first, by a shutdown hook. Not thread-safe: one driver thread.
 */
public final class ChaosCluster implements AutoCloseable {

    /** What a node process does now, as the harness last made it. */
    public enum NodeState { RUNNING, PAUSED, KILLED, LEAVING }

    /**
     * How to launch processes.
     *
     * @param jar      the shaded launcher jar ({@code launcher/target/flock.jar})
     * @param jvmFlags flags before {@code -jar} (heap, {@code --add-exports} for Kryo)
     * @param runDir   where logs and the run's files go; created if missing
     */
    public record Launch(Path jar, List<String> jvmFlags, Path runDir) {
        public Launch {
            jvmFlags = List.copyOf(jvmFlags);
        }

        /** The defaults for tests on a small machine: 512 MiB heap, Kryo's export. */
        public static Launch of(Path jar, Path runDir) {
            return new Launch(jar, List.of("-Xmx512m", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED"), runDir);
        }
    }

    /** A node process of this cluster. */
    public static final class Node {
        private final NodeSpec spec;
        private final int port;
        private final int metricsPort;
        private final Process process;
        private final Path log;
        private NodeState state = NodeState.RUNNING;

        private Node(NodeSpec spec, int port, int metricsPort, Process process, Path log) {
            this.spec = spec;
            this.port = port;
            this.metricsPort = metricsPort;
            this.process = process;
            this.log = log;
        }

        public String name() { return spec.name(); }
        public NodeSpec spec() { return spec; }
        public int port() { return port; }
        public int metricsPort() { return metricsPort; }
        public long pid() { return process.pid(); }
        public Path log() { return log; }
        public NodeState state() { return state; }
        public Process process() { return process; }

        /** Running (not paused, killed or leaving) and its process alive. */
        public boolean isServing() { return state == NodeState.RUNNING && process.isAlive(); }
    }

    private static final Duration REAP_TIMEOUT = Duration.ofSeconds(30);
    private static final String UP = "flock_cluster_members{status=\"up\",}";

    private final Launch launch;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final List<Process> processes = new ArrayList<>();
    private final Thread shutdownHook;
    private final Duration timeout;
    private int seedPort;
    private boolean closed;

    private ChaosCluster(Launch launch, Duration timeout) {
        this.launch = launch;
        this.timeout = timeout;
        this.shutdownHook = new Thread(this::destroyAll, "chaos-cluster-reaper");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts the nodes (the first is the seed, started and Up before the others) and waits until
     * the seed sees all of them Up. On failure every started process is reaped before the exception.
     */
    public static ChaosCluster start(Launch launch, List<NodeSpec> specs, Duration timeout)
            throws TimeoutException, InterruptedException {
        if (specs.isEmpty()) throw new IllegalArgumentException("a cluster needs at least one node");
        try {
            Files.createDirectories(launch.runDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChaosCluster cluster = new ChaosCluster(launch, timeout);
        try {
            cluster.seedPort = Processes.freePort();
            cluster.launchNode(specs.get(0), cluster.seedPort);
            cluster.awaitUpMembers(1);
            for (NodeSpec spec : specs.subList(1, specs.size())) cluster.launchNode(spec, Processes.freePort());
            cluster.awaitUpMembers(specs.size());
            return cluster;
        } catch (TimeoutException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * {@code --seed-nodes} for a process joining now: every serving node's {@code 127.0.0.1:port}
     * (Pekko joins through the first that answers), so joining works after the first seed is gone.
     */
    public String seedAddresses() {
        List<String> seeds = serving().stream().map(n -> "127.0.0.1:" + n.port).toList();
        return seeds.isEmpty() ? "127.0.0.1:" + seedPort : String.join(",", seeds);
    }

    public Path runDir() {
        return launch.runDir();
    }

    public Node node(String name) {
        Node n = nodes.get(name);
        if (n == null) throw new IllegalArgumentException("no node '" + name + "'; nodes: " + nodes.keySet());
        return n;
    }

    public Collection<Node> nodes() {
        return List.copyOf(nodes.values());
    }

    /** kill -9: the node vanishes without leaving; the others must detect and down it. */
    public void kill9(String name) throws InterruptedException {
        Node n = node(name);
        n.process.destroyForcibly();
        n.process.waitFor(REAP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        n.state = NodeState.KILLED;
    }

    /** SIGSTOP: the process freezes (no heartbeats, sockets stay open) until {@link #resume}. */
    public void pause(String name) {
        Node n = node(name);
        Processes.signal(n.pid(), "STOP");
        n.state = NodeState.PAUSED;
    }

    /** SIGCONT after {@link #pause}. A node frozen past failure detection finds itself downed and exits. */
    public void resume(String name) {
        Node n = node(name);
        Processes.signal(n.pid(), "CONT");
        if (n.state == NodeState.PAUSED) n.state = NodeState.RUNNING;
    }

    /** SIGTERM: CoordinatedShutdown, the node leaves the cluster and exits (0 when graceful); does not wait. */
    public void leave(String name) {
        Node n = node(name);
        n.process.destroy();
        n.state = NodeState.LEAVING;
    }

    /** Starts one more node and waits until the cluster counts one more Up member than before. */
    public Node addNode(NodeSpec spec) throws TimeoutException, InterruptedException {
        if (nodes.containsKey(spec.name())) throw new IllegalArgumentException("node '" + spec.name() + "' exists");
        int before = (int) upMembers().orElse(0);
        Node n = launchNode(spec, Processes.freePort());
        Processes.await(spec.name() + " Up in the cluster", timeout, () -> upMembers().orElse(0) >= before + 1
                || !n.process.isAlive());
        if (!n.process.isAlive()) throw new IllegalStateException(spec.name() + " exited:\n" + Processes.tail(n.log, 20));
        return n;
    }

    /**
     * The serving node that runs the coordinator singleton: the one whose metrics count the job's
     * steps ({@code flock_steps_total} is recorded on the coordinator's node only), highest count first.
     */
    public Optional<Node> coordinatorNode() {
        return serving().stream()
                .filter(n -> Metrics.total(n.metricsPort, "flock_steps_total").isPresent())
                .max(Comparator.comparingDouble(n -> Metrics.total(n.metricsPort, "flock_steps_total").orElse(0)));
    }

    /** A serving node other than the coordinator's that hosts parameter-shard primaries ({@code flock_shards > 0}). */
    public Optional<Node> shardPrimaryNode() {
        Optional<Node> coordinator = coordinatorNode();
        return serving().stream()
                .filter(n -> coordinator.map(c -> c != n).orElse(true))
                .filter(n -> Metrics.total(n.metricsPort, "flock_shards").orElse(0) > 0)
                .findFirst();
    }

    /** Members Up as the first serving node sees them; empty when none answers. */
    public OptionalDouble upMembers() {
        for (Node n : serving()) {
            OptionalDouble v = Metrics.value(n.metricsPort, UP);
            if (v.isPresent()) return v;
        }
        return OptionalDouble.empty();
    }

    /** Waits until a serving node sees at least {@code count} members Up. */
    public void awaitUpMembers(int count) throws TimeoutException, InterruptedException {
        Processes.await(count + " members Up", timeout, () -> {
            nodes.values().stream().filter(n -> !n.process.isAlive() && n.state == NodeState.RUNNING).findFirst()
                    .ifPresent(n -> { throw new IllegalStateException("node " + n.name() + " exited with "
                            + n.process.exitValue() + ":\n" + Processes.tail(n.log, 20)); });
            return upMembers().orElse(0) >= count;
        });
    }

    /**
     * Starts {@code java <flags> -jar flock.jar <args>} with stdout and stderr to {@code log} (or to
     * a pipe the caller reads when {@code log} is null) and tracks the process so that
     * {@link #close()} reaps it. ND4J gets one passive OpenMP thread per process.
     */
    public Process startProcess(Path log, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(launch.jvmFlags());
        command.addAll(List.of("-jar", launch.jar().toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (log != null) pb.redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        try {
            Process p = pb.start();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        }
    }

    /**
     * Kills every process still alive (SIGCONT first for paused ones is unnecessary: SIGKILL
     * acts on stopped processes), waits for each, and fails naming any that did not exit.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        List<String> survivors = destroyAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run; nothing to remove
        }
        if (!survivors.isEmpty()) throw new IllegalStateException("processes still alive after close: " + survivors);
    }

    /** Every tracked process that is still alive after close (empty after a successful close). */
    public List<ProcessHandle> leftovers() {
        return processes.stream().map(Process::toHandle).filter(ProcessHandle::isAlive).toList();
    }

    private List<String> destroyAll() {
        List<String> survivors = new ArrayList<>();
        for (Process p : processes) p.destroyForcibly();
        for (Process p : processes) {
            try {
                if (!p.waitFor(REAP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) survivors.add("pid " + p.pid());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                survivors.add("pid " + p.pid() + " (interrupted while reaping)");
            }
        }
        return survivors;
    }

    private List<Node> serving() {
        return nodes.values().stream().filter(Node::isServing).toList();
    }

    private Node launchNode(NodeSpec spec, int port) {
        int metricsPort = Processes.freePort();
        Path log = launch.runDir().resolve(spec.name() + ".log");
        Process p = startProcess(log, List.of("node", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--seed-nodes", nodes.isEmpty() ? "127.0.0.1:" + port : seedAddresses(),
                "--worker-slots", Integer.toString(spec.workerSlots()), "--host-shards", spec.hostShards() ? "on" : "off",
                "--metrics-port", Integer.toString(metricsPort)));
        Node n = new Node(spec, port, metricsPort, p, log);
        nodes.put(spec.name(), n);
        return n;
    }
}
