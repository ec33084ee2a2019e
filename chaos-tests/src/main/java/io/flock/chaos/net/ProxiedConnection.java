package io.flock.chaos.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One TCP connection through a {@link LinkProxy}: the accepted socket of process {@code source}
 * and the proxy's own connection to node {@code destination}'s real Artery port. Each direction is
 * a {@link Pipe} of two threads: a reader that stamps each chunk with its release time (now + the
 * link's delay) and queues it, and a writer that releases chunks in order at that time through the
 * link's token bucket. {@link #cut} resets both sockets (RST), dropping whatever is queued.
 */
final class ProxiedConnection {

    /** Bytes a direction may hold queued (delayed or throttled) before its reader stops reading. */
    private static final int QUEUE_BYTES = 32 << 20;
    private static final int CHUNK = 64 << 10;

    private final long id;
    private final String source;
    private final String destination;
    private final LinkProxy proxy;
    private final Socket client;
    private final Socket upstream;
    private final ChaosNetwork network;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger pipesDone = new AtomicInteger();
    private final Pipe forward;
    private final Pipe backward;

    ProxiedConnection(long id, String source, LinkProxy proxy, Socket client, Socket upstream, ChaosNetwork network) {
        this.id = id;
        this.source = source;
        this.proxy = proxy;
        this.destination = proxy.node();
        this.client = client;
        this.upstream = upstream;
        this.network = network;
        this.forward = new Pipe(new ChaosNetwork.Link(source, destination), client, upstream);
        this.backward = new Pipe(new ChaosNetwork.Link(destination, source), upstream, client);
    }

    void start() {
        forward.start();
        backward.start();
    }

    String source() {
        return source;
    }

    String destination() {
        return destination;
    }

    LinkProxy proxy() {
        return proxy;
    }

    boolean isOpen() {
        return !closed.get();
    }

    /** Whether this connection carries data of {@code link} in either direction. */
    boolean carries(ChaosNetwork.Link link) {
        return forward.link.equals(link) || backward.link.equals(link);
    }

    /** Resets both sockets (RST, not FIN: the peers see the connection break) and stops the pipes. */
    void cut(String why) {
        if (!closed.compareAndSet(false, true)) return;
        reset(client);
        reset(upstream);
        forward.stop();
        backward.stop();
        network.closed(this, why);
    }

    /** Both directions ended with a FIN: close quietly. */
    private void pipeDone() {
        if (pipesDone.incrementAndGet() < 2 || !closed.compareAndSet(false, true)) return;
        close(client);
        close(upstream);
        network.closed(this, "closed by both ends");
    }

    @Override
    public String toString() {
        return "#" + id + " " + source + " -> " + destination;
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // already closed
        }
        close(s);
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** A queued chunk: its bytes and when it may be written; {@code data == null} marks end of stream. */
    private record Chunk(byte[] data, long releaseNanos) {}

    /** One direction: bytes that {@code link.from()} writes, read from {@code in}, written to {@code out}. */
    private final class Pipe {
        private final ChaosNetwork.Link link;
        private final Socket in;
        private final Socket out;
        private final BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        private final Semaphore room = new Semaphore(QUEUE_BYTES);
        private final AtomicLong bytes;
        private final Thread reader;
        private final Thread writer;

        Pipe(ChaosNetwork.Link link, Socket in, Socket out) {
            this.link = link;
            this.in = in;
            this.out = out;
            this.bytes = network.counter(link);
            String name = "proxy-" + id + "-" + link.from() + ">" + link.to();
            this.reader = new Thread(this::read, name + "-read");
            this.writer = new Thread(this::write, name + "-write");
            reader.setDaemon(true);
            writer.setDaemon(true);
        }

        void start() {
            reader.start();
            writer.start();
        }

        void stop() {
            reader.interrupt();
            writer.interrupt();
        }

        private void read() {
            byte[] buf = new byte[CHUNK];
            try {
                InputStream is = in.getInputStream();
                for (int n = is.read(buf); n >= 0; n = is.read(buf)) {
                    if (n == 0) continue;
                    long delay = network.shape(link).delayNanos();
                    room.acquire(n);
                    queue.put(new Chunk(Arrays.copyOf(buf, n), System.nanoTime() + delay));
                }
                queue.put(new Chunk(null, System.nanoTime() + network.shape(link).delayNanos()));
            } catch (IOException | InterruptedException e) {
                cut(link.from() + " side: " + e.getMessage());
            }
        }

        private void write() {
            try {
                OutputStream os = out.getOutputStream();
                while (true) {
                    Chunk c = queue.take();
                    long wait = c.releaseNanos() - System.nanoTime();
                    if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                    if (c.data() == null) {
                        out.shutdownOutput();
                        pipeDone();
                        return;
                    }
                    send(os, c.data());
                    room.release(c.data().length);
                }
            } catch (IOException | InterruptedException e) {
                cut(link.to() + " side: " + e.getMessage());
            }
        }

        /** Writes {@code data}, in pieces the link's token bucket lets through when it has a bandwidth limit. */
        private void send(OutputStream os, byte[] data) throws IOException, InterruptedException {
            TokenBucket bucket = network.shape(link).bucket();
            if (bucket == null) {
                os.write(data);
            } else {
                for (int off = 0; off < data.length; ) {
                    int piece = Math.min(bucket.maxPiece(), data.length - off);
                    bucket.take(piece);
                    os.write(data, off, piece);
                    off += piece;
                }
            }
            os.flush();
            bytes.addAndGet(data.length);
        }
    }
}
