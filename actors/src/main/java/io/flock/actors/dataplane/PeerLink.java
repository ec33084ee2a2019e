package io.flock.actors.dataplane;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one outgoing connection from this endpoint to a peer's endpoint, shared by all sessions,
 * and its writer thread. Sessions only enqueue (never block), so a reader thread that produces
 * frames while consuming others cannot deadlock a ring. The writer connects lazily (HELLO first),
 * writes queued frames in gathering writes straight from the arrays' native buffers, skips frames
 * of failed sessions, and on a refused or broken connection fails the sessions that involve the
 * peer; the next frame opens a new connection.
 */
final class PeerLink {

    private static final Logger LOG = LoggerFactory.getLogger(PeerLink.class);
    private static final int BATCH = 32;

    /**
     * One frame to write; {@code values} is the array whose native memory {@code payload} points
     * into (held so that it stays allocated), returned to {@code recycle} after writing when not null.
     */
    record OutFrame(AbstractSession session, ByteBuffer header, ByteBuffer payload, INDArray values, ChunkPool recycle) {}

    private static final OutFrame CONNECT = new OutFrame(null, null, null, null, null);
    private static final OutFrame STOP = new OutFrame(null, null, null, null, null);

    private final InetSocketAddress peer;
    private final DataPlaneEndpoint endpoint;
    private final LinkedBlockingQueue<OutFrame> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final ByteBuffer probe = ByteBuffer.allocate(1);
    private volatile SocketChannel channel;

    PeerLink(InetSocketAddress peer, DataPlaneEndpoint endpoint) {
        this.peer = peer;
        this.endpoint = endpoint;
        this.thread = new Thread(this::run, "flock-dp-write-" + peer.getHostString() + ":" + peer.getPort());
        thread.setDaemon(true);
        thread.start();
    }

    void send(OutFrame frame) {
        queue.add(frame);
    }

    /** Connects now if not connected, so that a refused peer fails its sessions before they send. */
    void connectSoon() {
        queue.add(CONNECT);
    }

    /** Writes what is queued (up to {@code drain}), then closes the connection and ends the writer. */
    void close(long drainMillis) {
        queue.add(STOP);
        try {
            thread.join(drainMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            closeChannel();
            thread.interrupt();
        }
    }

    private void run() {
        List<OutFrame> batch = new ArrayList<>(BATCH);
        try {
            while (true) {
                OutFrame first = queue.poll();
                boolean wasIdle = first == null;
                if (first == null) first = queue.take();
                batch.clear();
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                int stop = indexOfStop(batch);
                List<OutFrame> frames = stop < 0 ? batch : batch.subList(0, stop);
                write(frames, wasIdle);
                if (stop >= 0) break;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeChannel();
        }
    }

    private void write(List<OutFrame> frames, boolean wasIdle) {
        List<ByteBuffer> buffers = new ArrayList<>(2 * frames.size());
        boolean wantConnection = false;
        for (OutFrame f : frames) {
            if (f == CONNECT) {
                wantConnection = true;
            } else if (!f.session().failed()) {
                buffers.add(f.header());
                buffers.add(f.payload());
            }
        }
        if (buffers.isEmpty() && !wantConnection) return;
        try {
            if (channel != null && wasIdle) checkNotClosedByPeer();
            if (channel == null) connect();
        } catch (IOException e) {
            closeChannel();
            fail(frames, CollectiveException.Reason.CONNECT_FAILED, "cannot connect to peer " + peer + ": " + e, e);
            return;
        }
        try {
            ByteBuffer[] srcs = buffers.toArray(ByteBuffer[]::new);
            long remaining = 0;
            for (ByteBuffer b : srcs) remaining += b.remaining();
            while (remaining > 0) remaining -= channel.write(srcs);
            for (OutFrame f : frames) if (f.recycle() != null) f.recycle().release(f.values());
        } catch (IOException | RuntimeException e) {
            closeChannel();
            fail(frames, CollectiveException.Reason.CONNECTION_LOST, "connection to peer " + peer + " lost: " + e, e);
        }
    }

    /**
     * Peers never write on a connection they accepted, so a readable connection after an idle
     * spell is one the peer closed (EOF) or broke: drop it and reconnect rather than write frames
     * into a socket whose other end is gone.
     */
    private void checkNotClosedByPeer() throws IOException {
        try {
            channel.configureBlocking(false);
            int n = channel.read(probe.clear());
            channel.configureBlocking(true);
            if (n != 0) {
                LOG.debug("data plane: connection to {} was closed by the peer ({}); reconnecting", peer, n);
                closeChannel();
            }
        } catch (IOException e) {
            LOG.debug("data plane: connection to {} broke while idle ({}); reconnecting", peer, e.toString());
            closeChannel();
        }
    }

    private void connect() throws IOException {
        SocketChannel c = SocketChannel.open();
        try {
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            int buffer = endpoint.settings().socketBuffer();
            if (buffer > 0) {
                c.setOption(StandardSocketOptions.SO_SNDBUF, buffer);
                c.setOption(StandardSocketOptions.SO_RCVBUF, buffer);
            }
            InetSocketAddress target = peer.isUnresolved() ? new InetSocketAddress(peer.getHostString(), peer.getPort()) : peer;
            c.socket().connect(target, (int) endpoint.settings().connectTimeout().toMillis());
            ByteBuffer hello = endpoint.hello();
            while (hello.hasRemaining()) c.write(hello);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e instanceof IOException io ? io : new IOException(e.toString(), e);
        }
        channel = c;
        LOG.debug("data plane: connected to {}", peer);
    }

    /** Fails the sessions of the unwritten frames and every open session that involves the peer; drops queued frames. */
    private void fail(List<OutFrame> frames, CollectiveException.Reason reason, String message, Exception cause) {
        List<OutFrame> dropped = new ArrayList<>(frames);
        queue.drainTo(dropped);
        boolean stop = indexOfStop(dropped) >= 0;
        Set<AbstractSession> sessions = new LinkedHashSet<>();
        for (OutFrame f : dropped) if (f.session() != null) sessions.add(f.session());
        if (!endpoint.isClosed()) LOG.warn("data plane: {}", message);
        endpoint.failSessions(sessions, peer, reason, message, cause);
        if (stop) queue.add(STOP);
    }

    /** Markers are compared by identity: records with equal (null) fields are equal. */
    private static int indexOfStop(List<OutFrame> frames) {
        for (int i = 0; i < frames.size(); i++) if (frames.get(i) == STOP) return i;
        return -1;
    }

    private void closeChannel() {
        SocketChannel c = channel;
        if (c == null) return;
        channel = null;
        try {
            c.close();
        } catch (IOException e) {
            LOG.debug("data plane: closing connection to {}: {}", peer, e.toString());
        }
    }
}
