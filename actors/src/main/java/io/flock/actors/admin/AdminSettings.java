package io.flock.actors.admin;

import com.typesafe.config.Config;

/**
 * {@code flock.admin}, read once.
 *
 * @param token bearer token every admin request must carry; empty = admin HTTP off
 * @param host  interface the admin endpoint binds to
 * @param port  its TCP port; 0 picks a free one ({@code FlockNode.adminPort()})
 */
public record AdminSettings(String token, String host, int port) {

    public AdminSettings {
        if (port < 0 || port > 65_535) throw new IllegalArgumentException("flock.admin.port must be 0..65535, got " + port);
        if (!token.isEmpty() && token.length() < 16) {
            throw new IllegalArgumentException("flock.admin.token must be empty (admin HTTP off) or at least 16 characters");
        }
    }

    public boolean enabled() {
        return !token.isEmpty();
    }

    public static AdminSettings fromConfig(Config config) {
        Config c = config.getConfig("flock.admin");
        return new AdminSettings(c.getString("token"), c.getString("host"), c.getInt("port"));
    }
}
