package io.flock.actors.dataplane;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane's endpoint, without Pekko: a listening socket for peers' connections, one
 * outgoing connection per peer address ({@link PeerLink}), the open collectives and the frames
 * that arrived before their collective opened. {@link DataPlane} wraps one per ActorSystem;
 * benchmarks run it in plain JVMs. Frames are routed by (job, epoch, step, kind, rank); frames of
 * aborted epochs, of finished collectives and malformed ones are dropped, malformed streams
 * closed. Memory held for early frames is bounded by {@code max-buffered}. Not authenticated or
 * encrypted: see docs/data-plane.md.
 */
public final class DataPlaneEndpoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DataPlaneEndpoint.class);
    /** Accepted connections at most; more are closed at once (each costs a reader thread). */
    static final int MAX_CONNECTIONS = 1024;
    /** Finished collectives remembered (their late frames are dropped, not buffered). */
    private static final int FINISHED_KEYS = 4096;

    /** What a reader does with a frame's values. */
    enum RouteKind { DROP, SESSION, EARLY }

    /** Where a frame goes: skipped, read into an open session's array, or read into a new array and held. */
    record Routing(RouteKind kind, AbstractSession session, AbstractSession.Target target, long bytes) {
        static final Routing DROP = new Routing(RouteKind.DROP, null, null, 0);
    }

    private record EarlyFrame(Frame.Header header, INDArray values, long bytes, InetSocketAddress peer) {}

    private record Aborted(long below, String reason) {}

    private final DataPlaneSettings settings;
    private final ServerSocketChannel server;
    private final InetSocketAddress address;
    private final ByteBuffer hello;
    private final Thread acceptor;
    private final ExecutorService callbacks;
    private final Object lock = new Object();
    private final Map<SessionKey, AbstractSession> sessions = new HashMap<>();
    private final Map<SessionKey, List<EarlyFrame>> early = new HashMap<>();
    private final Map<String, Aborted> aborted = new HashMap<>();
    private final LinkedHashSet<SessionKey> finishedKeys = new LinkedHashSet<>();
    private long buffered;
    private final Map<String, PeerLink> links = new ConcurrentHashMap<>();
    private final Map<Integer, ChunkPool> pools = new ConcurrentHashMap<>();
    private final Set<InboundConnection> inbound = ConcurrentHashMap.newKeySet();
    private final AtomicLong rejectedConnections = new AtomicLong();
    private volatile boolean closed;

    private DataPlaneEndpoint(DataPlaneSettings settings, ServerSocketChannel server, String advertisedHost) throws IOException {
        this.settings = settings;
        this.server = server;
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        this.address = new InetSocketAddress(advertisedHost, port);
        this.hello = Frame.hello(advertisedHost, port).asReadOnlyBuffer();
        this.callbacks = Executors.newSingleThreadExecutor(r -> daemon(r, "flock-dp-callbacks-" + port));
        this.acceptor = daemon(this::accept, "flock-dp-accept-" + port);
        acceptor.start();
    }

    /**
     * Listens on {@code bindHost}:{@code settings.port()} and advertises {@code advertisedHost} with
     * the bound port as {@link #address()}.
     */
    public static DataPlaneEndpoint start(String bindHost, String advertisedHost, DataPlaneSettings settings)
            throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (settings.socketBuffer() > 0) server.setOption(StandardSocketOptions.SO_RCVBUF, settings.socketBuffer());
            server.bind(new InetSocketAddress(bindHost, settings.port()), 128);
            DataPlaneEndpoint endpoint = new DataPlaneEndpoint(settings, server, advertisedHost);
            LOG.info("data plane listening on {} (bound to {})", endpoint.address, server.getLocalAddress());
            return endpoint;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** Listens on and advertises {@code host}. */
    public static DataPlaneEndpoint start(String host, DataPlaneSettings settings) throws IOException {
        return start(host, host, settings);
    }

    /** The address peers reach this endpoint at; members of a {@link CollectiveSpec} are such addresses. */
    public InetSocketAddress address() {
        return address;
    }

    public DataPlaneSettings settings() {
        return settings;
    }

    /** See {@link DataPlane#open(CollectiveSpec)}. */
    public CollectiveSession open(CollectiveSpec spec) {
        return open(spec, null);
    }

    /** See {@link DataPlane#open(CollectiveSpec, INDArray)}. */
    public CollectiveSession open(CollectiveSpec spec, INDArray into) {
        if (into != null && (into.dataType() != org.nd4j.linalg.api.buffer.DataType.FLOAT || into.rank() != 1
                || into.elementWiseStride() != 1 || into.length() != spec.length())) {
            throw new IllegalArgumentException("the result array must be a contiguous float32 vector of " + spec.length()
                    + " values, got " + into.dataType() + " shape " + java.util.Arrays.toString(into.shape()));
        }
        if (spec.chunkSize() > settings.maxFrameValues()) {
            throw new IllegalArgumentException("chunk size " + spec.chunkSize() + " exceeds flock.data-plane.max-frame ("
                    + settings.maxFrameValues() + " values)");
        }
        if (!sameAddress(spec.self(), address)) {
            throw new IllegalArgumentException("members[" + spec.rank() + "] is " + spec.self()
                    + ", but this data plane is at " + address);
        }
        AbstractSession session = spec.kind() == CollectiveSpec.Kind.RING
                ? new RingSession(spec, this, into, pools.computeIfAbsent(spec.chunkSize(), DataPlaneEndpoint::pool))
                : new TreeSession(spec, this, into);
        CollectiveException refused = null;
        synchronized (session) {
            List<EarlyFrame> replay = List.of();
            synchronized (lock) {
                Aborted a = aborted.get(spec.jobId());
                if (closed) {
                    refused = new CollectiveException(CollectiveException.Reason.CLOSED, null, "data plane at " + address + " is closed");
                } else if (a != null && spec.epoch() < a.below()) {
                    refused = new CollectiveException(CollectiveException.Reason.ABORTED, null, "aborted: " + a.reason());
                } else {
                    if (sessions.containsKey(session.key)) throw new IllegalStateException(session + " is already open");
                    finishedKeys.remove(session.key);
                    sessions.put(session.key, session);
                    List<EarlyFrame> held = early.remove(session.key);
                    if (held != null) {
                        replay = held;
                        for (EarlyFrame f : held) buffered -= f.bytes();
                        lock.notifyAll();
                    }
                }
            }
            for (EarlyFrame f : replay) {
                try {
                    session.deliverEarly(f.header(), f.values(), f.peer());
                } catch (AbstractSession.Mismatch m) {
                    refused = garbage(f.peer(), m);
                    break;
                }
            }
        }
        if (refused != null) {
            session.fail(refused);
            return session;
        }
        for (InetSocketAddress to : session.sendsTo()) link(to).connectSoon();
        return session;
    }

    /** See {@link DataPlane#abortBefore}. */
    public void abortBefore(String jobId, long epoch, String reason) {
        List<AbstractSession> victims = new ArrayList<>();
        synchronized (lock) {
            Aborted prev = aborted.get(jobId);
            long below = prev == null ? epoch : Math.max(prev.below(), epoch);
            aborted.put(jobId, new Aborted(below, reason));
            for (AbstractSession s : sessions.values()) {
                if (s.key.jobId().equals(jobId) && s.key.epoch() < below) victims.add(s);
            }
            for (Iterator<Map.Entry<SessionKey, List<EarlyFrame>>> it = early.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<SessionKey, List<EarlyFrame>> e = it.next();
                if (e.getKey().jobId().equals(jobId) && e.getKey().epoch() < below) {
                    for (EarlyFrame f : e.getValue()) buffered -= f.bytes();
                    it.remove();
                }
            }
            finishedKeys.removeIf(k -> k.jobId().equals(jobId) && k.epoch() < below);
            lock.notifyAll();
        }
        for (AbstractSession s : victims) {
            s.fail(new CollectiveException(CollectiveException.Reason.ABORTED, null, "aborted: " + reason));
        }
    }

    /**
     * Fails open collectives (CLOSED), sends what completed collectives still have queued (for at
     * most connect-timeout), then closes every connection and the listening socket.
     */
    @Override
    public void close() {
        List<AbstractSession> victims;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            victims = new ArrayList<>(sessions.values());
            early.clear();
            buffered = 0;
            lock.notifyAll();
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("data plane: closing the listening socket: {}", e.toString());
        }
        for (AbstractSession s : victims) {
            s.fail(new CollectiveException(CollectiveException.Reason.CLOSED, null, "data plane at " + address + " closed"));
        }
        long deadline = System.nanoTime() + settings.connectTimeout().toNanos();
        for (PeerLink link : links.values()) {
            link.close(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        for (PeerLink link : links.values()) link.close(1); // any a sender created while closing
        for (InboundConnection c : inbound) c.close();
        callbacks.shutdown();
        LOG.info("data plane at {} closed", address);
    }

    public boolean isClosed() {
        return closed;
    }

    /** Connections closed because they sent something malformed or were cut mid-frame. */
    public long rejectedConnections() {
        return rejectedConnections.get();
    }

    /** Open collectives (for tests and metrics). */
    public int openSessions() {
        synchronized (lock) {
            return sessions.size();
        }
    }

    /** Bytes of frames held for collectives not opened yet. */
    public long bufferedBytes() {
        synchronized (lock) {
            return buffered;
        }
    }

    /** The peers (HELLO addresses) of the accepted connections now open. */
    Set<InetSocketAddress> inboundPeers() {
        Set<InetSocketAddress> peers = new java.util.HashSet<>();
        for (InboundConnection c : inbound) if (c.peer() != null) peers.add(c.peer());
        return peers;
    }

    // ---- reader side -------------------------------------------------------------------------

    /**
     * Decides where a frame's values go. Early frames reserve their bytes first and wait (the
     * reader stops reading: TCP back-pressure) while max-buffered is in use.
     */
    Routing route(Frame.Header h, InboundConnection from) throws InterruptedException {
        AbstractSession session;
        SessionKey key = h.key();
        synchronized (lock) {
            while (true) {
                Aborted a = aborted.get(h.jobId());
                if (closed || (a != null && h.epoch() < a.below())) return Routing.DROP;
                session = sessions.get(key);
                if (session != null) break;
                if (finishedKeys.contains(key)) return Routing.DROP;
                if (buffered == 0 || buffered + h.payloadBytes() <= settings.maxBuffered()) {
                    buffered += h.payloadBytes();
                    break;
                }
                lock.wait(1_000);
            }
        }
        if (session == null) {
            INDArray values = AbstractSession.newVector(h.count());
            return new Routing(RouteKind.EARLY, null, AbstractSession.Target.of(values), h.payloadBytes());
        }
        try {
            AbstractSession.Target target = session.route(h, from.peer());
            return target == null ? Routing.DROP : new Routing(RouteKind.SESSION, session, target, h.payloadBytes());
        } catch (AbstractSession.Mismatch m) {
            session.fail(garbage(from.peer(), m));
            return Routing.DROP;
        }
    }

    /** An early frame has been read: hold it, or hand it to its session if that opened meanwhile. */
    void addEarly(Frame.Header h, Routing routing, InboundConnection from) {
        AbstractSession session;
        SessionKey key = h.key();
        INDArray values = routing.target().array();
        synchronized (lock) {
            Aborted a = aborted.get(h.jobId());
            session = sessions.get(key);
            if (closed) return;
            if (session == null && !finishedKeys.contains(key) && (a == null || h.epoch() >= a.below())) {
                early.computeIfAbsent(key, k -> new ArrayList<>()).add(new EarlyFrame(h, values, routing.bytes(), from.peer()));
                return;
            }
            buffered -= routing.bytes();
            lock.notifyAll();
        }
        if (session == null) return;
        try {
            session.deliverEarly(h, values, from.peer());
        } catch (AbstractSession.Mismatch m) {
            session.fail(garbage(from.peer(), m));
        }
    }

    void release(long bytes) {
        synchronized (lock) {
            if (closed) return;
            buffered -= bytes;
            lock.notifyAll();
        }
    }

    /** A reader ended: log why, and fail the sessions that still wait for frames from its peer. */
    void inboundClosed(InboundConnection connection, CollectiveException.Reason reason, String problem, Throwable cause) {
        inbound.remove(connection);
        InetSocketAddress peer = connection.peer();
        if (closed) return;
        if (reason == CollectiveException.Reason.GARBAGE || problem != null) {
            rejectedConnections.incrementAndGet();
            LOG.warn("data plane: closing connection from {}: {}", connection, problem);
        } else {
            LOG.debug("data plane: connection from {} closed by the peer", connection);
        }
        if (peer == null) return;
        String message = reason == CollectiveException.Reason.GARBAGE ? "garbage from peer " + peer + ": " + problem
                : "connection from peer " + peer + (problem == null ? " closed" : " lost: " + problem);
        for (AbstractSession s : openSessions(s -> s.expectsFrom(peer))) {
            s.fail(new CollectiveException(reason, peer, message + " (" + s + ")", cause));
        }
    }

    // ---- writer side -------------------------------------------------------------------------

    void send(InetSocketAddress to, PeerLink.OutFrame frame) {
        if (closed) return;
        link(to).send(frame);
    }

    private PeerLink link(InetSocketAddress to) {
        return links.computeIfAbsent(to.getHostString() + ":" + to.getPort(), k -> new PeerLink(to, this));
    }


    ByteBuffer hello() {
        return hello.duplicate();
    }

    /** A link to {@code peer} failed: fail {@code sessions} and every open session that involves {@code peer}. */
    void failSessions(Collection<AbstractSession> sessions, InetSocketAddress peer, CollectiveException.Reason reason,
            String message, Throwable cause) {
        Set<AbstractSession> victims = new LinkedHashSet<>(sessions);
        victims.addAll(openSessions(s -> s.involves(peer)));
        for (AbstractSession s : victims) s.fail(new CollectiveException(reason, peer, message + " (" + s + ")", cause));
    }

    // ---- sessions ----------------------------------------------------------------------------

    /** A session completed or failed: forget it, and drop its late frames from now on. */
    void finished(AbstractSession session) {
        synchronized (lock) {
            sessions.remove(session.key, session);
            finishedKeys.add(session.key);
            if (finishedKeys.size() > FINISHED_KEYS) {
                Iterator<SessionKey> it = finishedKeys.iterator();
                it.next();
                it.remove();
            }
        }
    }

    /** Runs a future's completion on the callback thread, never on a reader or writer. */
    void signal(Runnable completion) {
        try {
            callbacks.execute(completion);
        } catch (RejectedExecutionException shutDown) {
            completion.run();
        }
    }

    private List<AbstractSession> openSessions(java.util.function.Predicate<AbstractSession> filter) {
        List<AbstractSession> all;
        synchronized (lock) {
            all = new ArrayList<>(sessions.values());
        }
        return all.stream().filter(filter).toList();
    }

    /** Pooled running-sum arrays of one chunk size: up to 64 MiB of them, at most 1024. */
    private static ChunkPool pool(int chunkSize) {
        return new ChunkPool(chunkSize, (int) Math.max(4, Math.min(1024, (64L << 20) / ((long) chunkSize * Float.BYTES))));
    }

    private static CollectiveException garbage(InetSocketAddress peer, AbstractSession.Mismatch m) {
        LOG.warn("data plane: frame from {} does not fit its collective: {}", peer, m.getMessage());
        return new CollectiveException(CollectiveException.Reason.GARBAGE, peer, "garbage from peer " + peer + ": " + m.getMessage());
    }

    private void accept() {
        while (!closed) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) LOG.warn("data plane: accept failed: {}", e.toString());
                continue;
            }
            try {
                if (inbound.size() >= MAX_CONNECTIONS) {
                    LOG.warn("data plane: refusing connection from {}: {} connections open", c.getRemoteAddress(), MAX_CONNECTIONS);
                    c.close();
                    continue;
                }
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                InboundConnection connection = new InboundConnection(c, this);
                inbound.add(connection);
                daemon(connection, "flock-dp-read-" + c.getRemoteAddress()).start();
                if (closed) connection.close();
            } catch (IOException e) {
                LOG.debug("data plane: dropping a connection being accepted: {}", e.toString());
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** Same port, and the same host name or the same resolved address. */
    static boolean sameAddress(InetSocketAddress a, InetSocketAddress b) {
        if (a == null || b == null || a.getPort() != b.getPort()) return false;
        if (a.getHostString().equals(b.getHostString())) return true;
        return a.getAddress() != null && b.getAddress() != null && a.getAddress().equals(b.getAddress());
    }

    /** The bytes of a contiguous rank-1 float32 array (or view), as a buffer over its native memory. */
    static ByteBuffer bytesOf(INDArray a) {
        if (a.rank() != 1 || a.elementWiseStride() != 1) {
            throw new IllegalArgumentException("expected a contiguous vector, got shape " + java.util.Arrays.toString(a.shape())
                    + " stride " + a.elementWiseStride());
        }
        ByteBuffer b = a.data().asNio().duplicate();
        int width = a.dataType().width();
        int from = Math.toIntExact(a.offset() * width);
        b.limit(Math.toIntExact(from + a.length() * width)).position(from);
        return b;
    }
}
