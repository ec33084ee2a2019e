package io.flock.actors.dataplane;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code flock.data-plane}, read once.
 *
 * @param port            TCP port of the listening endpoint; 0 = any free port
 * @param chunkSize       most values (float32) per frame; {@link #chunkSizeFor} picks a collective's chunk size up to it
 * @param connectTimeout  how long opening a connection to a peer may take before its sessions fail
 * @param maxFrame        largest frame accepted, in bytes (header and values); larger ones close the connection
 * @param maxBuffered     bytes of early frames (for collectives not opened yet) held per endpoint;
 *                        beyond it, reading from that connection waits (TCP back-pressure)
 * @param socketBuffer    SO_SNDBUF/SO_RCVBUF in bytes; 0 = the operating system's (auto-tuned) default
 */
public record DataPlaneSettings(int port, int chunkSize, Duration connectTimeout, long maxFrame, long maxBuffered,
        int socketBuffer) {

    /** The defaults of {@code reference.conf}, for code that runs without a Config (benchmarks, tests). */
    public static final DataPlaneSettings DEFAULTS =
            new DataPlaneSettings(0, 1 << 20, Duration.ofSeconds(10), 16L << 20, 1L << 30, 0);

    /** Frames per vector {@link #chunkSizeFor} aims at: enough to pipeline a ring, few enough to keep per-frame costs small. */
    public static final int TARGET_CHUNKS = 16;

    /** Smallest chunk {@link #chunkSizeFor} picks (unless chunk-size is smaller): below it per-frame costs dominate. */
    public static final int MIN_CHUNK = 1 << 18;

    public DataPlaneSettings {
        if (port < 0 || port > 65_535) throw new IllegalArgumentException("flock.data-plane.port must be 0..65535, got " + port);
        if (chunkSize <= 0) throw new IllegalArgumentException("flock.data-plane.chunk-size must be positive, got " + chunkSize);
        if (connectTimeout.isNegative() || connectTimeout.isZero() || connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("flock.data-plane.connect-timeout must be positive (and under 24 days), got "
                    + connectTimeout);
        }
        if (maxFrame > Integer.MAX_VALUE || maxFrame < (long) chunkSize * Float.BYTES + Frame.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("flock.data-plane.max-frame must hold chunk-size float32 values plus a "
                    + Frame.MAX_HEADER_BYTES + "-byte header (>= " + ((long) chunkSize * Float.BYTES + Frame.MAX_HEADER_BYTES)
                    + ") and be under 2 GiB, got " + maxFrame);
        }
        if (maxBuffered < maxFrame) {
            throw new IllegalArgumentException("flock.data-plane.max-buffered must be >= max-frame (" + maxFrame + "), got "
                    + maxBuffered);
        }
        if (socketBuffer < 0) throw new IllegalArgumentException("flock.data-plane.socket-buffer must be >= 0, got " + socketBuffer);
    }

    public static DataPlaneSettings fromConfig(Config config) {
        Config c = config.getConfig("flock.data-plane");
        long socketBuffer = c.getBytes("socket-buffer");
        if (socketBuffer > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("flock.data-plane.socket-buffer must be under 2 GiB, got " + socketBuffer);
        }
        return new DataPlaneSettings(c.getInt("port"), c.getInt("chunk-size"), c.getDuration("connect-timeout"),
                c.getBytes("max-frame"), c.getBytes("max-buffered"), (int) socketBuffer);
    }

    /**
     * The chunk size for a collective of {@code length} values: about {@value #TARGET_CHUNKS}
     * chunks, at least {@value #MIN_CHUNK} values and at most {@code chunk-size} (measured on
     * loopback: one 4 MiB chunk per 1/16 of a 16M-float vector, 1/4 of 1M; docs/data-plane.md).
     */
    public int chunkSizeFor(long length) {
        long wanted = (length + TARGET_CHUNKS - 1) / TARGET_CHUNKS;
        return (int) Math.max(Math.min(MIN_CHUNK, chunkSize), Math.min(chunkSize, wanted));
    }

    /** Largest number of values one frame may carry. */
    public int maxFrameValues() {
        return (int) ((maxFrame - Frame.MAX_HEADER_BYTES) / Float.BYTES);
    }
}
