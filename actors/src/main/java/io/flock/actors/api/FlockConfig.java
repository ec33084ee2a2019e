package io.flock.actors.api;

import io.flock.actors.config.InvalidConfigException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;

/**
 * Builds a node's configuration in a fixed order, highest priority first: the caller's config,
 * system properties, {@code application.conf}, Flock's settings for Pekko
 * ({@code io/flock/actors/pekko-defaults.conf}), then every library's {@code reference.conf}.
 * Flock's Pekko settings are a separate layer because one library's reference.conf cannot
 * reliably override another's: merged on a classpath the first one wins, concatenated in a
 * shaded jar the last one does.
 */
public final class FlockConfig {

    /** Classpath resource with Flock's settings for Pekko. */
    public static final String PEKKO_DEFAULTS = "io/flock/actors/pekko-defaults.conf";

    private FlockConfig() {}

    /** The resolved configuration of a node started with {@code config}. */
    public static Config load(Config config) {
        ClassLoader loader = FlockConfig.class.getClassLoader();
        Config pekkoDefaults = ConfigFactory.parseResources(loader, PEKKO_DEFAULTS,
                ConfigParseOptions.defaults().setAllowMissing(false));
        return config
                .withFallback(ConfigFactory.defaultOverrides(loader))
                .withFallback(ConfigFactory.defaultApplication(loader))
                .withFallback(pekkoDefaults)
                .withFallback(ConfigFactory.defaultReference(loader))
                .resolve();
    }

    /**
     * Checks a resolved node configuration ({@link #load}) as {@link FlockNode#start} does before
     * anything starts: unknown {@code flock} keys, wrong types, unset values, out-of-range settings.
     *
     * @throws InvalidConfigException listing every problem, each with the key and where it was set
     */
    public static void validate(Config config) {
        io.flock.actors.node.ConfigValidator.validate(config);
    }

    /** The configuration of a node with nothing but defaults. */
    public static Config load() {
        return load(ConfigFactory.empty());
    }
}
