package io.flock.actors.wire;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

/**
 * Test-only raw TCP client for a node's Artery port, speaking as much of Artery's TCP framing
 * as a broken or hostile peer would: a 4-byte magic, a stream id byte, then frames each led by a
 * little-endian int32 length. Also counts the envelopes Pekko's Artery decoder drops.
 */
public final class RawArtery {

    public static final byte[] PEKKO_MAGIC = "PEKK".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] AKKA_MAGIC = "AKKA".getBytes(StandardCharsets.US_ASCII);
    /** Artery's ordinary-message stream id. */
    public static final int ORDINARY_STREAM = 2;

    private RawArtery() {}

    /**
     * Nine bytes that livelock Pekko 1.7.0's inbound Artery TCP framing: a frame length of -4
     * moves its reader back over the length itself, so it re-reads it forever, pushing an empty
     * envelope each time (about 100k a second, each logged) until the node is starved or runs
     * out of memory. Fixed upstream by apache/pekko#3492 (1.7.x backport #3525), not released
     * as of 1.7.0.
     */
    public static byte[] negativeFrameLength() {
        return concat(PEKKO_MAGIC, new byte[] {ORDINARY_STREAM}, le(-4));
    }

    /** Connects to 127.0.0.1:{@code port}, writes {@code bytes} and closes (with a RST if {@code reset}). */
    public static void send(int port, byte[] bytes, boolean reset) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            if (reset) socket.setSoLinger(true, 0);
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
        } catch (SocketException e) {
            // the node dropped the connection while we were still writing: that is its right
        }
    }

    public static byte[] le(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }

    public static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        ByteBuffer out = ByteBuffer.allocate(n);
        for (byte[] p : parts) out.put(p);
        return out.array();
    }

    /** Counts Pekko's "Dropping message" warnings (one per undecodable Artery envelope) while attached. */
    public static final class DropCounter extends AppenderBase<ILoggingEvent> implements AutoCloseable {
        private final AtomicLong drops = new AtomicLong();
        private final Logger logger = (Logger) LoggerFactory.getLogger("org.apache.pekko.remote.artery.Decoder");

        public DropCounter() {
            start();
            logger.addAppender(this);
        }

        @Override
        protected void append(ILoggingEvent event) {
            if (event.getFormattedMessage().startsWith("Dropping message")) drops.incrementAndGet();
        }

        public long drops() {
            return drops.get();
        }

        @Override
        public void close() {
            logger.detachAppender(this);
            stop();
        }
    }
}
