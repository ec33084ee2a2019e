package io.flock.chaos.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The harness's network: a {@link LinkProxy} in front of every node's Artery port and the link
 * rules applied to the bytes that pass through them. A link is a direction, {@code (from, to)}:
 * the bytes process {@code from} sends to process {@code to}. Artery TCP opens its own outbound
 * connections (control, ordinary and large-message streams) from each node to each peer, so a
 * connection accepted by {@code to}'s proxy from a socket owned by {@code from} carries link
 * {@code (from, to)}; its source is named by a {@link SourceResolver}.
 *
 * <p>Rules: a partition separates sets of processes (new connections across it are reset at
 * once, open ones are cut) until {@link #heal}; {@link #latency} delays every chunk of a link,
 * keeping their order; {@link #bandwidth} passes a link's bytes through a token bucket;
 * {@link #drop} cuts the link's open connections mid-stream. Every action is reported to the log
 * sink. Thread-safe.
 */
public final class ChaosNetwork implements AutoCloseable {

    /** One direction between two processes. */
    public record Link(String from, String to) {
        @Override
        public String toString() {
            return from + " -> " + to;
        }
    }

    /** How a link is shaped now: the delay of each chunk and a bandwidth limit (null = unlimited). */
    record Shape(long delayNanos, TokenBucket bucket) {
        static final Shape NONE = new Shape(0, null);
    }

    /** Sets of processes that cannot reach each other; a process in none of them is on side {@code defaultSide}. */
    private record Partition(List<Set<String>> sides, int defaultSide) {
        boolean separates(String a, String b) {
            return !unidentified(a) && !unidentified(b) && side(a) != side(b);
        }

        int side(String name) {
            for (int i = 0; i < sides.size(); i++) if (sides.get(i).contains(name)) return i;
            return defaultSide;
        }
    }

    private final SourceResolver sources;
    private final Consumer<String> log;
    private final Map<String, LinkProxy> proxies = new ConcurrentHashMap<>();
    private final Map<Link, Shape> shapes = new ConcurrentHashMap<>();
    private final Map<Link, AtomicLong> bytes = new ConcurrentHashMap<>();
    private final Set<ProxiedConnection> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicInteger unidentified = new AtomicInteger();
    private volatile Partition partition;
    private volatile boolean closed;

    /**
     * @param sources names the process behind each accepted connection
     * @param log     receives one line per action (connection admitted, refused, cut; rule set)
     */
    public ChaosNetwork(SourceResolver sources, Consumer<String> log) {
        this.sources = sources;
        this.log = log;
    }

    /**
     * Starts a proxy for {@code node} whose real Artery port is {@code targetPort}; a proxy the
     * node had before is closed and its connections cut (a restarted node gets a new address).
     */
    public LinkProxy proxy(String node, int targetPort) {
        LinkProxy proxy = new LinkProxy(node, targetPort, this);
        LinkProxy old = proxies.put(node, proxy);
        if (old != null) retire(old);
        log.accept("proxy for " + node + ": 127.0.0.1:" + proxy.port() + " -> 127.0.0.1:" + targetPort);
        return proxy;
    }

    /**
     * Partitions the processes into {@code sides}: from now on no connection passes between two
     * processes on different sides. A process named in no side is on side {@code defaultSide}.
     *
     * @return how many open connections were cut
     */
    public int partition(List<Set<String>> sides, int defaultSide) {
        if (defaultSide < 0 || defaultSide >= sides.size()) {
            throw new IllegalArgumentException("default side " + defaultSide + " of " + sides.size() + " sides");
        }
        Partition p = new Partition(sides.stream().map(Set::copyOf).toList(), defaultSide);
        partition = p;
        int cut = cutWhere(c -> p.separates(c.source(), c.destination()), "partition");
        log.accept("partition " + sides.stream().map(s -> new TreeSet<>(s).toString())
                .collect(Collectors.joining(" | ")) + " (others with side " + (defaultSide + 1) + "): cut " + cut);
        return cut;
    }

    /** Ends the partition: new connections pass again (Artery reconnects on its own). */
    public void heal() {
        partition = null;
        log.accept("heal: partition lifted");
    }

    /** Delays every chunk on {@code link} by {@code delay} (zero: no delay), in order. */
    public void latency(Link link, Duration delay) {
        shapes.compute(link, (l, s) -> new Shape(delay.toNanos(), s == null ? null : s.bucket()));
        log.accept("latency " + link + ": " + delay.toMillis() + " ms");
    }

    /** Limits {@code link} to {@code bytesPerSecond} over all its connections (0: unlimited). */
    public void bandwidth(Link link, long bytesPerSecond) {
        TokenBucket bucket = bytesPerSecond > 0 ? new TokenBucket(bytesPerSecond) : null;
        shapes.compute(link, (l, s) -> new Shape(s == null ? 0 : s.delayNanos(), bucket));
        log.accept("bandwidth " + link + ": " + (bytesPerSecond > 0 ? bytesPerSecond + " B/s" : "unlimited"));
    }

    /**
     * Cuts every open connection carrying {@code link} (reset mid-stream; queued bytes are lost);
     * new connections pass.
     *
     * @return how many were cut
     */
    public int drop(Link link) {
        int cut = cutWhere(c -> c.carries(link), "drop " + link);
        log.accept("drop " + link + ": cut " + cut);
        return cut;
    }

    /** Connections whose source could not be named (they pass, untouched by rules). */
    public int unidentifiedConnections() {
        return unidentified.get();
    }

    /** Bytes forwarded so far per link, for reports. */
    public Map<Link, Long> forwardedBytes() {
        Map<Link, Long> m = new TreeMap<>(Comparator.comparing(Link::toString));
        bytes.forEach((l, b) -> m.put(l, b.get()));
        return m;
    }

    /** Open connections, each as "#id from -> to". */
    public List<String> openConnections() {
        return open.stream().map(Object::toString).sorted().toList();
    }

    /** Closes every proxy and resets every connection. */
    @Override
    public void close() {
        closed = true;
        proxies.values().forEach(this::retire);
        proxies.clear();
        List.copyOf(open).forEach(c -> c.cut("network closed"));
    }

    Shape shape(Link link) {
        return shapes.getOrDefault(link, Shape.NONE);
    }

    AtomicLong counter(Link link) {
        return bytes.computeIfAbsent(link, l -> new AtomicLong());
    }

    /** Called by a proxy for each accepted socket: refuse it (partition) or connect it through. */
    void admit(LinkProxy proxy, Socket client) {
        Optional<String> named = closed ? Optional.empty() : sources.sourceOf(client.getPort(), proxy.port());
        String source = named.orElse("?" + client.getPort());
        if (named.isEmpty() && !closed && sources.sourceClosed(client.getPort(), proxy.port())) {
            reset(client);
            log.accept("refused " + source + " -> " + proxy.node() + ": its source socket is closed already");
            return;
        }
        if (named.isEmpty()) {
            unidentified.incrementAndGet();
            log.accept("unidentified source port " + client.getPort() + " -> " + proxy.node() + ": passed without rules");
        }
        Partition p = partition;
        if (closed || (p != null && p.separates(source, proxy.node()))) {
            reset(client);
            log.accept("refused " + source + " -> " + proxy.node() + (closed ? " (closed)" : " (partition)"));
            return;
        }
        Socket upstream;
        try {
            upstream = new Socket(InetAddress.getLoopbackAddress(), proxy.targetPort());
            upstream.setTcpNoDelay(true);
            client.setTcpNoDelay(true);
        } catch (IOException e) {
            reset(client);
            log.accept("refused " + source + " -> " + proxy.node() + ": node port " + proxy.targetPort() + ": " + e.getMessage());
            return;
        }
        ProxiedConnection c = new ProxiedConnection(ids.incrementAndGet(), source, proxy, client, upstream, this);
        open.add(c);
        log.accept("connected " + c);
        c.start();
        Partition now = partition; // a partition set while connecting must not miss this one
        if (now != null && now.separates(source, proxy.node())) c.cut("partition");
    }

    /** Called by a connection once it is closed or cut. */
    void closed(ProxiedConnection c, String why) {
        if (open.remove(c)) log.accept("closed " + c + ": " + why);
    }

    private int cutWhere(Predicate<ProxiedConnection> which, String why) {
        List<ProxiedConnection> hit = new ArrayList<>();
        for (ProxiedConnection c : open) if (which.test(c)) hit.add(c);
        hit.forEach(c -> c.cut(why));
        return hit.size();
    }

    private void retire(LinkProxy proxy) {
        proxy.close();
        cutWhere(c -> c.proxy() == proxy, "proxy of " + proxy.node() + " closed");
    }

    /** Sources that could not be named are called "?port" and pass untouched by rules. */
    private static boolean unidentified(String name) {
        return name.startsWith("?");
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
            s.close();
        } catch (IOException ignored) {
            // gone already
        }
    }
}
