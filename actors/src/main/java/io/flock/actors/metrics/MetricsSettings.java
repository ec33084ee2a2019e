package io.flock.actors.metrics;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code flock.metrics}, read once.
 *
 * @param enabled        whether the node records metrics and serves {@code /metrics}
 * @param host           interface the HTTP endpoint binds to
 * @param port           its TCP port; 0 picks a free one (see {@code FlockNode.metricsPort()})
 * @param shardsInterval how often the hosted shard count is sampled
 */
public record MetricsSettings(boolean enabled, String host, int port, Duration shardsInterval) {

    public MetricsSettings {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("flock.metrics.port must be 0..65535, got " + port);
        }
        if (shardsInterval.isNegative() || shardsInterval.isZero()) {
            throw new IllegalArgumentException("flock.metrics.shards-interval must be positive, got " + shardsInterval);
        }
    }

    public static MetricsSettings fromConfig(Config config) {
        Config c = config.getConfig("flock.metrics");
        return new MetricsSettings(c.getBoolean("enabled"), c.getString("host"), c.getInt("port"),
                c.getDuration("shards-interval"));
    }
}
