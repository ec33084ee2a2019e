package io.flock.launcher;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.flock.actors.api.FlockNode;
import java.io.File;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * Options of the commands that join a real cluster ({@code node}, {@code train}, {@code status}):
 * a config file and flags for the common keys. A node's configuration is, highest priority
 * first: these flags, the {@code --config} file, then {@code FlockConfig}'s layering (system
 * properties, application.conf, Flock's Pekko defaults, reference.conf).
 */
final class ClusterOptions {

    @Option(names = "--config", paramLabel = "FILE", description = "HOCON config file (see config/seed-node.conf).")
    File configFile;

    @Option(names = "--host", description = "Hostname or IP this node binds to and is reached at "
            + "(pekko.remote.artery.canonical.hostname).")
    String host;

    @Option(names = "--port", description = "Artery TCP port, 0 = any free port (pekko.remote.artery.canonical.port).")
    Integer port;

    @Option(names = "--bind-port", description = "Port Artery actually listens on when it differs from the advertised "
            + "--port, e.g. behind NAT or a proxy that forwards --port to it (pekko.remote.artery.bind.port; default: "
            + "the same as --port).")
    Integer bindPort;

    @Option(names = "--seed-nodes", split = ",", paramLabel = "HOST:PORT",
            description = "Seed nodes, comma-separated HOST:PORT or pekko://flock@HOST:PORT (pekko.cluster.seed-nodes).")
    List<String> seedNodes;

    /** The node's configuration: these flags and the command's {@code moreFlags} over the config file. */
    Config config(CommandSpec spec, Map<String, Object> moreFlags) {
        Map<String, Object> flags = new HashMap<>(moreFlags);
        if (host != null) flags.put("pekko.remote.artery.canonical.hostname", host);
        if (port != null) flags.put("pekko.remote.artery.canonical.port", port);
        if (bindPort != null) flags.put("pekko.remote.artery.bind.port", bindPort);
        if (seedNodes != null) flags.put("pekko.cluster.seed-nodes", seedNodes.stream().map(ClusterOptions::seedAddress).toList());
        Config file = ConfigFactory.empty();
        if (configFile != null) {
            if (!configFile.isFile()) {
                throw new ParameterException(spec.commandLine(), "Config file not found: " + configFile);
            }
            file = ConfigFactory.parseFile(configFile, ConfigParseOptions.defaults().setAllowMissing(false));
        }
        return ConfigFactory.parseMap(flags, "command-line flags").withFallback(file);
    }

    /** {@code host:port} as a cluster address of the {@code flock} system; full addresses pass through. */
    static String seedAddress(String seed) {
        String s = seed.trim();
        if (s.contains("://")) return s;
        if (!s.matches("[^:/@]+:\\d{1,5}")) {
            throw new IllegalArgumentException("seed node '" + seed + "' is neither HOST:PORT nor pekko://flock@HOST:PORT");
        }
        return "pekko://" + FlockNode.SYSTEM_NAME + "@" + s;
    }
}
