package io.flock.chaos;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.flock.actors.config.ConfigChecks;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a scenario file:
 * <pre>
 * scenario {
 *   name = kill-worker
 *   timeout = 3m
 *   nodes = [ { name = n1, worker-slots = 1, host-shards = on }, { name = n2 }, { name = n3, host-shards = off } ]
 *   job { steps = 300, dataset { type = synthetic, train-size = 600, test-size = 100 } }   # job-file keys
 *   timeline = [
 *     { at-step = 40, fault = kill, node = n3 }
 *     { at-seconds = 5, fault = pause, node = coordinator, duration = 8s }
 *     { at-step = 90, fault = add-node, name = n4, host-shards = off }
 *     { after-steps = 20, fault = restart, node = n1 }
 *     { at-step = 120, fault = partition, sides = [[n3], [n1, n2]], duration = 12s }
 *     { at-step = 150, fault = latency, from = n1, to = n2, delay = 200ms, both-ways = off, duration = 10s }
 *     { at-step = 160, fault = bandwidth, from = n2, to = n1, bytes-per-second = 1MiB, duration = 10s }
 *     { at-step = 170, fault = drop, from = n1, to = n3 }
 *     { at-step = 200, fault = full-restart }
 *   ]
 * }
 * </pre>
 * Faults: {@code kill}, {@code pause} (needs {@code duration}), {@code leave}, {@code add-node},
 * {@code restart}, {@code full-restart}; on the network {@code partition} (needs {@code sides}),
 * {@code heal}, {@code latency} (needs {@code delay}), {@code bandwidth} (needs
 * {@code bytes-per-second}), {@code drop}; network faults without {@code duration} last until the
 * run ends. Every error names the key and the file and line it came from.
 */
public final class ScenarioParser {

    /** The scenario file is unusable: the message names key, file and line. */
    public static final class InvalidScenarioException extends Exception {
        InvalidScenarioException(String message) {
            super(message);
        }
    }

    private static final List<String> FAULTS = List.of("kill", "pause", "leave", "add-node", "restart", "full-restart",
            "partition", "heal", "latency", "bandwidth", "drop", "switch");
    private static final List<String> TRIGGERS = List.of("at-step", "at-seconds", "after-steps");

    private ScenarioParser() {}

    public static Scenario parse(File file) throws InvalidScenarioException {
        try {
            return parse(ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false)).resolve());
        } catch (ConfigException e) {
            throw new InvalidScenarioException("invalid scenario file " + file + ": " + e.getMessage());
        }
    }

    /** Parses a config holding a {@code scenario} block. */
    public static Scenario parse(Config root) throws InvalidScenarioException {
        required(root, "scenario", "scenario");
        Config s;
        try {
            s = root.getConfig("scenario");
        } catch (ConfigException e) {
            throw new InvalidScenarioException(e.getMessage());
        }
        try {
            String name = s.getString("name");
            Duration timeout = s.hasPath("timeout") ? s.getDuration("timeout") : Duration.ofMinutes(3);
            List<NodeSpec> nodes = new ArrayList<>();
            List<? extends Config> nodeList = s.getConfigList("nodes");
            for (int i = 0; i < nodeList.size(); i++) nodes.add(node(nodeList.get(i), "scenario.nodes[" + i + "]"));
            required(s, "job", "scenario.job");
            List<Scenario.Event> timeline = new ArrayList<>();
            List<? extends Config> events = s.hasPath("timeline") ? s.getConfigList("timeline") : List.of();
            for (int i = 0; i < events.size(); i++) timeline.add(event(events.get(i), "scenario.timeline[" + i + "]"));
            return new Scenario(name, nodes, s.withOnlyPath("job"), timeline, timeout);
        } catch (ConfigException e) {
            throw new InvalidScenarioException(e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new InvalidScenarioException(e.getMessage() + ConfigChecks.at(s.origin()));
        }
    }

    private static NodeSpec node(Config n, String key) throws InvalidScenarioException {
        if (!n.hasPath("name")) throw new InvalidScenarioException(key + ".name: missing" + ConfigChecks.at(n.origin()));
        try {
            return new NodeSpec(n.getString("name"), n.hasPath("worker-slots") ? n.getInt("worker-slots") : 1,
                    !n.hasPath("host-shards") || n.getBoolean("host-shards"));
        } catch (IllegalArgumentException e) {
            throw new InvalidScenarioException(key + ": " + e.getMessage() + ConfigChecks.at(n.origin()));
        }
    }

    private static Scenario.Event event(Config e, String key) throws InvalidScenarioException {
        if (TRIGGERS.stream().filter(e::hasPath).count() != 1) {
            throw new InvalidScenarioException(key + ": set exactly one of " + String.join(", ", TRIGGERS)
                    + ConfigChecks.at(e.origin()));
        }
        Scenario.Trigger trigger = e.hasPath("at-step") ? new Scenario.Trigger.AtStep(e.getLong("at-step"))
                : e.hasPath("at-seconds") ? new Scenario.Trigger.AtSeconds(e.getDouble("at-seconds"))
                : new Scenario.Trigger.AfterSteps(e.getLong("after-steps"));
        ConfigValue fault = required(e, "fault", key + ".fault");
        String kind = e.getString("fault");
        if (!FAULTS.contains(kind)) {
            throw new InvalidScenarioException(key + ".fault: unknown fault '" + kind + "'; valid: " + String.join(", ", FAULTS)
                    + ConfigChecks.at(fault.origin()));
        }
        try {
            return new Scenario.Event(trigger, fault(e, key, kind));
        } catch (IllegalArgumentException bad) {
            throw new InvalidScenarioException(key + ": " + bad.getMessage() + ConfigChecks.at(e.origin()));
        }
    }

    private static Scenario.Fault fault(Config e, String key, String kind) throws InvalidScenarioException {
        return switch (kind) {
            case "kill" -> new Scenario.Fault.Kill(target(e, "node", key));
            case "pause" -> new Scenario.Fault.Pause(target(e, "node", key), duration(e, "duration", key));
            case "leave" -> new Scenario.Fault.Leave(target(e, "node", key));
            case "add-node" -> new Scenario.Fault.AddNode(node(e, key));
            case "restart" -> new Scenario.Fault.Restart(target(e, "node", key));
            case "full-restart" -> new Scenario.Fault.FullRestart();
            case "switch" -> {
                required(e, "to", key + ".to");
                yield new Scenario.Fault.Switch(io.flock.strategies.Strategy.parse(e.getString("to")));
            }
            case "partition" -> new Scenario.Fault.Partition(sides(e, key), optionalDuration(e));
            case "heal" -> new Scenario.Fault.Heal();
            case "latency" -> new Scenario.Fault.Latency(target(e, "from", key), target(e, "to", key),
                    duration(e, "delay", key), bothWays(e), optionalDuration(e));
            case "bandwidth" -> new Scenario.Fault.Bandwidth(target(e, "from", key), target(e, "to", key),
                    bytes(e, "bytes-per-second", key), bothWays(e), optionalDuration(e));
            default -> new Scenario.Fault.Drop(target(e, "from", key), target(e, "to", key), bothWays(e));
        };
    }

    private static Scenario.Target target(Config e, String path, String key) throws InvalidScenarioException {
        required(e, path, key + "." + path);
        return new Scenario.Target(e.getString(path));
    }

    private static List<List<Scenario.Target>> sides(Config e, String key) throws InvalidScenarioException {
        ConfigValue v = required(e, "sides", key + ".sides");
        List<List<Scenario.Target>> sides = new ArrayList<>();
        if (v.valueType() != ConfigValueType.LIST) {
            throw new InvalidScenarioException(key + ".sides: expected a list of lists of node names, e.g. [[n3], [n1, n2]]"
                    + ConfigChecks.at(v.origin()));
        }
        for (ConfigValue side : (ConfigList) v) {
            if (side.valueType() != ConfigValueType.LIST) {
                throw new InvalidScenarioException(key + ".sides: each side is a list of node names, e.g. [n3]"
                        + ConfigChecks.at(side.origin()));
            }
            sides.add(((ConfigList) side).unwrapped().stream()
                    .map(name -> new Scenario.Target(String.valueOf(name))).toList());
        }
        return sides;
    }

    private static Duration duration(Config e, String path, String key) throws InvalidScenarioException {
        required(e, path, key + "." + path);
        return e.getDuration(path);
    }

    private static long bytes(Config e, String path, String key) throws InvalidScenarioException {
        required(e, path, key + "." + path);
        return e.getBytes(path);
    }

    private static Duration optionalDuration(Config e) {
        return e.hasPath("duration") ? e.getDuration("duration") : Duration.ZERO;
    }

    private static boolean bothWays(Config e) {
        return e.hasPath("both-ways") && e.getBoolean("both-ways");
    }

    private static ConfigValue required(Config c, String path, String key) throws InvalidScenarioException {
        if (!c.hasPath(path)) throw new InvalidScenarioException(key + ": missing" + ConfigChecks.at(c.origin()));
        return c.getValue(path);
    }
}
