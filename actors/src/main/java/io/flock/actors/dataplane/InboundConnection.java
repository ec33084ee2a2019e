package io.flock.actors.dataplane;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted connection and its reader thread: reads the HELLO, then frames, each header checked
 * before any allocation ({@link Frame#decode}), its values read straight into the array the
 * endpoint routes it to. Anything malformed, and a frame cut short, closes the connection with a
 * log line naming the problem; sessions that still wait for this peer's frames then fail.
 */
final class InboundConnection implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(InboundConnection.class);

    private final SocketChannel channel;
    private final DataPlaneEndpoint endpoint;
    private final SocketAddress remote;
    private final ByteBuffer prefix = ByteBuffer.allocate(Frame.PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer fixed = ByteBuffer.allocate(Frame.DATA_FIXED_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private ByteBuffer scratch;
    private volatile InetSocketAddress peer;

    InboundConnection(SocketChannel channel, DataPlaneEndpoint endpoint) throws IOException {
        this.channel = channel;
        this.endpoint = endpoint;
        this.remote = channel.getRemoteAddress();
    }

    /** The sender's listening address from its HELLO, or null before it. */
    InetSocketAddress peer() {
        return peer;
    }

    void close() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("data plane: closing connection from {}: {}", remote, e.toString());
        }
    }

    @Override
    public void run() {
        String problem = null;
        Throwable cause = null;
        CollectiveException.Reason reason = CollectiveException.Reason.CONNECTION_LOST;
        try {
            hello();
            while (true) {
                if (!readFully(prefix.clear(), true)) break; // clean end between frames
                Frame.Type type = Frame.readPrefix(prefix.flip());
                if (type == Frame.Type.HELLO) throw new Frame.FrameException("second HELLO on one connection");
                frame(type);
            }
        } catch (Frame.FrameException e) {
            problem = e.getMessage();
            reason = CollectiveException.Reason.GARBAGE;
        } catch (EOFException e) {
            problem = "truncated frame: " + e.getMessage();
        } catch (IOException e) {
            if (!endpoint.isClosed()) {
                problem = "read failed: " + e;
                cause = e;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | OutOfMemoryError e) {
            problem = "cannot process frame: " + e;
            cause = e;
        } finally {
            endpoint.inboundClosed(this, reason, problem, cause); // counted and logged before the peer sees the close
            close();
        }
    }

    /**
     * Reads the HELLO within connect-timeout (through the socket's stream, which honours
     * SO_TIMEOUT, unlike channel reads): a connection that says nothing is not kept forever.
     */
    private void hello() throws IOException, Frame.FrameException {
        channel.socket().setSoTimeout((int) endpoint.settings().connectTimeout().toMillis());
        java.io.DataInputStream in = new java.io.DataInputStream(channel.socket().getInputStream());
        byte[] head = new byte[Frame.PREFIX_BYTES + Frame.HELLO_FIXED_BYTES];
        try {
            in.readFully(head, 0, Frame.PREFIX_BYTES);
            if (Frame.readPrefix(ByteBuffer.wrap(head, 0, Frame.PREFIX_BYTES)) != Frame.Type.HELLO) {
                throw new Frame.FrameException("first frame is not HELLO");
            }
            in.readFully(head, Frame.PREFIX_BYTES, Frame.HELLO_FIXED_BYTES);
        } catch (java.net.SocketTimeoutException e) {
            throw new Frame.FrameException("no HELLO within " + endpoint.settings().connectTimeout().toMillis() + " ms");
        } catch (EOFException e) {
            throw new EOFException("connection closed before HELLO");
        }
        ByteBuffer body = ByteBuffer.wrap(head, Frame.PREFIX_BYTES, Frame.HELLO_FIXED_BYTES).slice().order(ByteOrder.LITTLE_ENDIAN);
        int port = body.getInt(0);
        int hostBytes = body.getShort(4) & 0xFFFF;
        if (port <= 0 || port > 65_535) throw new Frame.FrameException("HELLO port " + port + " is outside 1..65535");
        if (hostBytes == 0 || hostBytes > Frame.MAX_NAME_BYTES) throw new Frame.FrameException("HELLO host length " + hostBytes);
        byte[] host = new byte[hostBytes];
        try {
            in.readFully(host);
        } catch (java.net.SocketTimeoutException e) {
            throw new Frame.FrameException("HELLO cut short for " + endpoint.settings().connectTimeout().toMillis() + " ms");
        }
        channel.socket().setSoTimeout(0);
        String name = Frame.utf8(host);
        peer = new InetSocketAddress(name, port);
        LOG.debug("data plane: connection from {} is peer {}", remote, peer);
    }

    private void frame(Frame.Type type) throws IOException, Frame.FrameException, InterruptedException {
        readFully(fixed.clear(), false);
        byte[] job = new byte[Frame.jobIdBytes(fixed)];
        readFully(ByteBuffer.wrap(job), false);
        Frame.Header h = Frame.decode(type, fixed, job, endpoint.settings().maxFrameValues());
        DataPlaneEndpoint.Routing routing = endpoint.route(h, this);
        switch (routing.kind()) {
            case DROP -> skip(h.payloadBytes());
            case SESSION -> {
                readFully(routing.target().buffer(), false);
                routing.session().delivered(h, routing.target());
            }
            case EARLY -> {
                boolean read = false;
                try {
                    readFully(routing.target().buffer(), false);
                    read = true;
                } finally {
                    if (read) endpoint.addEarly(h, routing, this);
                    else endpoint.release(routing.bytes());
                }
            }
        }
    }

    /** Fills {@code b}; false on a clean EOF before its first byte when {@code eofOk}, EOFException on any other EOF. */
    private boolean readFully(ByteBuffer b, boolean eofOk) throws IOException {
        int wanted = b.remaining();
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                if (eofOk && b.remaining() == wanted) return false;
                throw new EOFException("connection closed after " + (wanted - b.remaining()) + " of " + wanted + " bytes");
            }
        }
        return true;
    }

    private void skip(long bytes) throws IOException {
        if (scratch == null) scratch = ByteBuffer.allocateDirect(64 * 1024);
        long left = bytes;
        while (left > 0) {
            scratch.clear().limit((int) Math.min(scratch.capacity(), left));
            readFully(scratch, false);
            left -= scratch.limit();
        }
    }

    @Override
    public String toString() {
        return peer == null ? String.valueOf(remote) : remote + " (peer " + peer + ")";
    }
}
