package io.flock.chaos.net;

import java.util.concurrent.TimeUnit;

/**
 * A token bucket of {@code bytesPerSecond} with a burst of 50 ms worth of bytes (at least 1 KiB):
 * {@link #take} blocks until the bytes may pass. Shared by every connection of a link, so the link
 * as a whole gets the rate. Thread-safe.
 */
final class TokenBucket {

    private static final long BURST_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final long bytesPerSecond;
    private final long capacity;
    private double tokens;
    private long lastNanos = System.nanoTime();

    TokenBucket(long bytesPerSecond) {
        if (bytesPerSecond <= 0) throw new IllegalArgumentException("bandwidth must be positive, got " + bytesPerSecond);
        this.bytesPerSecond = bytesPerSecond;
        this.capacity = Math.max(1024, bytesPerSecond * BURST_NANOS / TimeUnit.SECONDS.toNanos(1));
        this.tokens = capacity;
    }

    long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** The largest piece one {@link #take} call may ask for. */
    int maxPiece() {
        return (int) Math.min(Integer.MAX_VALUE, capacity);
    }

    /** Blocks until {@code bytes} (at most {@link #maxPiece()}) may pass, then spends them. */
    void take(int bytes) throws InterruptedException {
        while (true) {
            long waitNanos;
            synchronized (this) {
                long now = System.nanoTime();
                tokens = Math.min(capacity, tokens + (now - lastNanos) * (double) bytesPerSecond / 1e9);
                lastNanos = now;
                if (tokens >= bytes) {
                    tokens -= bytes;
                    return;
                }
                waitNanos = (long) ((bytes - tokens) * 1e9 / bytesPerSecond);
            }
            TimeUnit.NANOSECONDS.sleep(Math.max(waitNanos, 100_000));
        }
    }
}
