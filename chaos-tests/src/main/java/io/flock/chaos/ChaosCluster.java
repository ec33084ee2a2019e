package io.flock.chaos;

import io.flock.chaos.net.ChaosNetwork;
import io.flock.chaos.net.LinkProxy;
import io.flock.chaos.net.SocketOwners;
import java.io.IOException;
import java.io.PrintWriter;
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
 * that act on whole processes: kill -9, SIGSTOP/SIGCONT, SIGTERM (graceful leave), restarting a
 * node or the whole cluster, and adding a node. With {@link Launch#proxied()} every cluster member
 * (nodes and {@code flock train} clients) binds Artery to a private port and advertises the port of
 * its {@link LinkProxy}, so that all cluster traffic passes {@link #network()}. Checkpoints go to
 * {@code <run dir>/checkpoints}, shared by all nodes as shared storage would be. Every process it
 * starts is reaped by {@link #close()} and, should the harness JVM exit first, by a shutdown hook.
 * Not thread-safe: one driver thread.
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
     * @param proxied  whether members talk through the harness's proxies (needed by network faults;
     *                 Linux only: sources are named through /proc)
     */
    public record Launch(Path jar, List<String> jvmFlags, Path runDir, boolean proxied) {
        public Launch {
            jvmFlags = List.copyOf(jvmFlags);
        }

        public Launch(Path jar, List<String> jvmFlags, Path runDir) {
            this(jar, jvmFlags, runDir, false);
        }

        /** The defaults for tests on a small machine: 512 MiB heap, Kryo's export. */
        public static Launch of(Path jar, Path runDir) {
            return new Launch(jar, List.of("-Xmx512m", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED"), runDir);
        }

        public Launch withRunDir(Path dir) {
            return new Launch(jar, jvmFlags, dir, proxied);
        }

        public Launch withProxies(boolean on) {
            return new Launch(jar, jvmFlags, runDir, on);
        }
    }

    /** A node process of this cluster (one incarnation of a node: a restart starts another). */
    public static final class Node {
        private final NodeSpec spec;
        private final int incarnation;
        private final int port;
        private final int metricsPort;
        private final Process process;
        private final Path log;
        private volatile long exitNanos = -1;
        private NodeState state = NodeState.RUNNING;

        private Node(NodeSpec spec, int incarnation, int port, int metricsPort, Process process, Path log) {
            this.spec = spec;
            this.incarnation = incarnation;
            this.port = port;
            this.metricsPort = metricsPort;
            this.process = process;
            this.log = log;
            process.onExit().thenRun(() -> exitNanos = System.nanoTime());
        }

        public String name() { return spec.name(); }
        public NodeSpec spec() { return spec; }
        /** 1 for the node's first process, 2 after its first restart, ... */
        public int incarnation() { return incarnation; }
        /** The Artery port peers reach it at (its proxy's when proxied). */
        public int port() { return port; }
        /** {@link System#nanoTime()} when the process exited as the harness saw it, -1 while it runs. */
        public long exitNanos() { return exitNanos; }
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
    private final List<Node> retired = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final Thread shutdownHook;
    private final Duration timeout;
    private final long originNanos;
    private final SocketOwners owners;
    private final ChaosNetwork network;
    private final PrintWriter networkLog;
    private int seedPort;
    private boolean closed;

    private ChaosCluster(Launch launch, Duration timeout, long originNanos) {
        this.launch = launch;
        this.timeout = timeout;
        this.originNanos = originNanos;
        if (launch.proxied()) {
            if (!SocketOwners.available()) {
                throw new IllegalStateException("network faults need Linux /proc (/proc/net/tcp, /proc/<pid>/fd) to name "
                        + "the source of each proxied connection");
            }
            this.owners = new SocketOwners();
            try {
                this.networkLog = new PrintWriter(Files.newBufferedWriter(launch.runDir().resolve("network.log")), true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            this.network = new ChaosNetwork(owners, line -> networkLog.printf("%9.3f %s%n", seconds(), line));
        } else {
            this.owners = null;
            this.networkLog = null;
            this.network = null;
        }
        this.shutdownHook = new Thread(this::destroyAll, "chaos-cluster-reaper");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts the nodes (the first is the seed, started and Up before the others) and waits until
     * the seed sees all of them Up. On failure every started process is reaped before the exception.
     */
    public static ChaosCluster start(Launch launch, List<NodeSpec> specs, Duration timeout)
            throws TimeoutException, InterruptedException {
        return start(launch, specs, timeout, System.nanoTime());
    }

    /** As {@link #start(Launch, List, Duration)}; {@code originNanos} is time 0 of the network log. */
    public static ChaosCluster start(Launch launch, List<NodeSpec> specs, Duration timeout, long originNanos)
            throws TimeoutException, InterruptedException {
        if (specs.isEmpty()) throw new IllegalArgumentException("a cluster needs at least one node");
        try {
            Files.createDirectories(launch.runDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChaosCluster cluster = new ChaosCluster(launch, timeout, originNanos);
        try {
            cluster.form(specs);
            return cluster;
        } catch (TimeoutException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** Starts {@code specs} as a new cluster (the first is its seed) and waits until all are Up. */
    private void form(List<NodeSpec> specs) throws TimeoutException, InterruptedException {
        Node seed = launchNode(specs.get(0), true);
        seedPort = seed.port;
        awaitUpMembers(1);
        for (NodeSpec spec : specs.subList(1, specs.size())) launchNode(spec, false);
        awaitUpMembers(specs.size());
    }

    /** The proxies and link rules; empty unless launched {@link Launch#proxied()}. */
    public Optional<ChaosNetwork> network() {
        return Optional.ofNullable(network);
    }

    /** Every node process started so far, the current ones and those replaced by a restart. */
    public List<Node> incarnations() {
        List<Node> all = new ArrayList<>(retired);
        all.addAll(nodes.values());
        return all;
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
        Node n = launchNode(spec, false);
        awaitUp(n, before + 1);
        return n;
    }

    /**
     * One step of a rolling restart: SIGTERM to {@code name}, wait until its process exited and
     * the cluster counts one Up member less, start the same node again (a new process with new
     * ports) and wait until the count is back.
     *
     * @return the new incarnation; the old one's exit code is in {@link #incarnations()}
     */
    public Node restart(String name) throws TimeoutException, InterruptedException {
        Node old = node(name);
        int before = (int) upMembers().orElse(0);
        leave(name);
        Processes.await(name + " (pid " + old.pid() + ") exited after SIGTERM", timeout, () -> !old.process.isAlive());
        Processes.await(name + " removed from the cluster", timeout, () -> upMembers().orElse(before) < before);
        retired.add(old);
        nodes.remove(name);
        Node n = launchNode(old.spec, false);
        awaitUp(n, before);
        return n;
    }

    /** kill -9 of every node still running (a power cut); the nodes stay listed until {@link #startAgain()}. */
    public void killAll() throws InterruptedException {
        for (Node n : List.copyOf(nodes.values())) {
            if (n.process.isAlive()) kill9(n.name());
        }
    }

    /**
     * Starts every node again as a fresh cluster (new processes and ports, the first node the seed,
     * the same checkpoint directory) after {@link #killAll()}; waits until all are Up.
     */
    public void startAgain() throws TimeoutException, InterruptedException {
        List<NodeSpec> specs = nodes.values().stream().map(Node::spec).toList();
        retired.addAll(nodes.values());
        nodes.clear();
        form(specs);
    }

    /**
     * Starts a cluster member that is not a node, e.g. {@code flock train}: {@code args} plus its
     * address ({@code --host}, {@code --port}, behind a proxy when proxied) and {@code --seed-nodes};
     * output to a pipe the caller reads. Reaped by {@link #close()}.
     */
    public Process startMember(String name, List<String> args) {
        Ports ports = ports(name);
        List<String> all = new ArrayList<>(args);
        all.addAll(addressArgs(ports));
        all.addAll(List.of("--seed-nodes", seedAddresses()));
        Process p = startProcess(null, List.of(), all);
        if (owners != null) owners.register(p.pid(), name);
        return p;
    }

    private void awaitUp(Node n, int members) throws TimeoutException, InterruptedException {
        Processes.await(n.name() + " Up in the cluster", timeout, () -> upMembers().orElse(0) >= members
                || !n.process.isAlive());
        if (!n.process.isAlive()) throw new IllegalStateException(n.name() + " exited:\n" + Processes.tail(n.log, 20));
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
        return startProcess(log, List.of(), args);
    }

    private Process startProcess(Path log, List<String> moreJvmFlags, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(launch.jvmFlags());
        command.addAll(moreJvmFlags);
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
        if (network != null) {
            network.forwardedBytes().forEach((link, bytes) ->
                    networkLog.printf("%9.3f forwarded %s: %.1f MB%n", seconds(), link, bytes / 1e6));
            network.close();
            networkLog.close();
        }
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

    /** Where a member is reached ({@code canonical}) and where it listens ({@code bind}); equal unless proxied. */
    private record Ports(int canonical, int bind) {}

    private Ports ports(String name) {
        if (network == null) {
            int port = Processes.freePort();
            return new Ports(port, port);
        }
        int bind = Processes.freePort();
        LinkProxy proxy = network.proxy(name, bind);
        return new Ports(proxy.port(), bind);
    }

    private static List<String> addressArgs(Ports ports) {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", Integer.toString(ports.canonical())));
        if (ports.bind() != ports.canonical()) args.addAll(List.of("--bind-port", Integer.toString(ports.bind())));
        return args;
    }

    private Node launchNode(NodeSpec spec, boolean seed) {
        int incarnation = 1 + (int) incarnations().stream().filter(n -> n.name().equals(spec.name())).count();
        Ports ports = ports(spec.name());
        int metricsPort = Processes.freePort();
        Path log = launch.runDir().resolve(spec.name() + (incarnation == 1 ? "" : "-" + incarnation) + ".log");
        List<String> args = new ArrayList<>(List.of("node"));
        args.addAll(addressArgs(ports));
        args.addAll(List.of("--seed-nodes", seed ? "127.0.0.1:" + ports.canonical() : seedAddresses(),
                "--worker-slots", Integer.toString(spec.workerSlots()), "--host-shards", spec.hostShards() ? "on" : "off",
                "--metrics-port", Integer.toString(metricsPort)));
        Process p = startProcess(log, List.of("-Dflock.checkpoint.dir=" + checkpointDir()), args);
        if (owners != null) owners.register(p.pid(), spec.name());
        Node n = new Node(spec, incarnation, ports.canonical(), metricsPort, p, log);
        nodes.put(spec.name(), n);
        return n;
    }

    /** Where every node writes and reads checkpoints: one directory, as shared storage would be. */
    public Path checkpointDir() {
        return launch.runDir().toAbsolutePath().resolve("checkpoints");
    }

    private double seconds() {
        return (System.nanoTime() - originNanos) / 1e9;
    }
}
