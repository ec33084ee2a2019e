package io.flock.strategies;

/**
 * Transfer time as latency + bytes / bandwidth, fitted by ordinary least squares to observed
 * (bytes, seconds) transfers, so the cost model runs on this cluster's numbers, not constants.
 *
 * @param latencySeconds  the intercept: fixed cost per message (send + receive overheads, wire latency)
 * @param bytesPerSecond  the inverse slope
 */
public record LinkFit(double latencySeconds, double bytesPerSecond) {

    public LinkFit {
        if (!(latencySeconds >= 0) || !(bytesPerSecond > 0)) {
            throw new IllegalArgumentException("need latency >= 0 and bandwidth > 0: " + latencySeconds + ", "
                    + bytesPerSecond);
        }
    }

    /** Fits seconds[i] ≈ α + bytes[i] / β; needs at least two distinct sizes. Clamps α at 0. */
    public static LinkFit fit(double[] bytes, double[] seconds) {
        int n = bytes.length;
        if (n < 2 || seconds.length != n) throw new IllegalArgumentException("need >= 2 paired samples");
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += bytes[i] / n;
            my += seconds[i] / n;
        }
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < n; i++) {
            sxy += (bytes[i] - mx) * (seconds[i] - my);
            sxx += (bytes[i] - mx) * (bytes[i] - mx);
        }
        if (sxx == 0 || sxy <= 0) throw new IllegalArgumentException("transfers do not grow with size: cannot fit");
        double slope = sxy / sxx;
        return new LinkFit(Math.max(0, my - slope * mx), 1 / slope);
    }

    /** Predicted seconds for one message of {@code bytes}. */
    public double seconds(double bytes) {
        return latencySeconds + bytes / bytesPerSecond;
    }
}
