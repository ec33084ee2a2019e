package io.flock.chaos;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import io.flock.actors.node.ConfigValidator;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

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
 *   ]
 * }
 * </pre>
 * Faults: {@code kill}, {@code pause} (needs {@code duration}), {@code leave}, {@code add-node}.
 * Every error names the key and the file and line it came from.
 */
public final class ScenarioParser {

    /** The scenario file is unusable: the message names key, file and line. */
    public static final class InvalidScenarioException extends Exception {
        InvalidScenarioException(String message) {
            super(message);
        }
    }

    private static final Set<String> FAULTS = Set.of("kill", "pause", "leave", "add-node");
    private static final Set<String> NOT_YET = Set.of("partition", "latency", "bandwidth", "drop");

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
            throw new InvalidScenarioException(e.getMessage() + ConfigValidator.at(s.origin()));
        }
    }

    private static NodeSpec node(Config n, String key) throws InvalidScenarioException {
        if (!n.hasPath("name")) throw new InvalidScenarioException(key + ".name: missing" + ConfigValidator.at(n.origin()));
        try {
            return new NodeSpec(n.getString("name"), n.hasPath("worker-slots") ? n.getInt("worker-slots") : 1,
                    !n.hasPath("host-shards") || n.getBoolean("host-shards"));
        } catch (IllegalArgumentException e) {
            throw new InvalidScenarioException(key + ": " + e.getMessage() + ConfigValidator.at(n.origin()));
        }
    }

    private static Scenario.Event event(Config e, String key) throws InvalidScenarioException {
        Scenario.Trigger trigger;
        if (e.hasPath("at-step") == e.hasPath("at-seconds")) {
            throw new InvalidScenarioException(key + ": set exactly one of at-step and at-seconds" + ConfigValidator.at(e.origin()));
        }
        trigger = e.hasPath("at-step") ? new Scenario.Trigger.AtStep(e.getLong("at-step"))
                : new Scenario.Trigger.AtSeconds(e.getDouble("at-seconds"));
        ConfigValue fault = required(e, "fault", key + ".fault");
        String kind = e.getString("fault");
        if (NOT_YET.contains(kind)) {
            throw new InvalidScenarioException(key + ".fault: '" + kind + "' is not implemented yet (network faults: see "
                    + "chaos-tests/README.md)" + ConfigValidator.at(fault.origin()));
        }
        if (!FAULTS.contains(kind)) {
            throw new InvalidScenarioException(key + ".fault: unknown fault '" + kind + "'; valid: kill, pause, leave, add-node"
                    + ConfigValidator.at(fault.origin()));
        }
        return new Scenario.Event(trigger, switch (kind) {
            case "kill" -> new Scenario.Fault.Kill(target(e, key));
            case "pause" -> new Scenario.Fault.Pause(target(e, key), duration(e, key));
            case "leave" -> new Scenario.Fault.Leave(target(e, key));
            default -> new Scenario.Fault.AddNode(node(e, key));
        });
    }

    private static Scenario.Target target(Config e, String key) throws InvalidScenarioException {
        required(e, "node", key + ".node");
        return new Scenario.Target(e.getString("node"));
    }

    private static Duration duration(Config e, String key) throws InvalidScenarioException {
        required(e, "duration", key + ".duration");
        return e.getDuration("duration");
    }

    private static ConfigValue required(Config c, String path, String key) throws InvalidScenarioException {
        if (!c.hasPath(path)) throw new InvalidScenarioException(key + ": missing" + ConfigValidator.at(c.origin()));
        return c.getValue(path);
    }
}
