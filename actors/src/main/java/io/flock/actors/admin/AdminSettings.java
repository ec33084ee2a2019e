package io.flock.actors.admin;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code flock.admin}, read once.
 *
 * @param token          bearer token every admin request must carry; empty = admin HTTP off
 * @param host           interface the admin endpoint binds to
 * @param port           its TCP port; 0 picks a free one ({@code FlockNode.adminPort()})
 * @param askTimeout     how long a status request waits for the coordinator (then 503)
 * @param actionTimeout  how long a checkpoint or strategy switch waits for its step boundary (then 503)
 * @param bindTimeout    how long starting a node waits for the endpoint to bind
 * @param unbindDeadline how long requests in flight may finish on shutdown before the endpoint closes
 */
public record AdminSettings(String token, String host, int port, Duration askTimeout, Duration actionTimeout,
        Duration bindTimeout, Duration unbindDeadline) {

    public AdminSettings {
        if (port < 0 || port > 65_535) throw new IllegalArgumentException("flock.admin.port must be 0..65535, got " + port);
        if (!token.isEmpty() && token.length() < 16) {
            throw new IllegalArgumentException("flock.admin.token must be empty (admin HTTP off) or at least 16 characters");
        }
        requirePositive("ask-timeout", askTimeout);
        requirePositive("action-timeout", actionTimeout);
        requirePositive("bind-timeout", bindTimeout);
        requirePositive("unbind-deadline", unbindDeadline);
    }

    public boolean enabled() {
        return !token.isEmpty();
    }

    public static AdminSettings fromConfig(Config config) {
        Config c = config.getConfig("flock.admin");
        return new AdminSettings(c.getString("token"), c.getString("host"), c.getInt("port"), c.getDuration("ask-timeout"),
                c.getDuration("action-timeout"), c.getDuration("bind-timeout"), c.getDuration("unbind-deadline"));
    }

    private static void requirePositive(String key, Duration d) {
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("flock.admin." + key + " must be > 0, got " + d);
    }
}
