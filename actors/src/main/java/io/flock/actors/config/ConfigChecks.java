package io.flock.actors.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks any HOCON document against a defaults document: every key under a root must exist in the
 * defaults and have the defaults' type, and required values may not be unset; each problem names
 * the key and where it was set (file and line, from the value's origin). The node's configuration
 * ({@code node.ConfigValidator}) and job files ({@code job.JobFile}) both use it. Keys under a
 * {@code *-dispatcher} block are Pekko dispatcher settings and are left to Pekko.
 */
public final class ConfigChecks {

    private ConfigChecks() {}

    /**
     * The problems of the keys under {@code root} in {@code config} measured against those in
     * {@code defaults}: unknown keys, values of another type than the default's, values set to null.
     * Usable for any HOCON document with a defaults file (job specs use it too).
     */
    public static List<String> problems(Config config, Config defaults, String root) {
        List<String> problems = new ArrayList<>();
        Config known = defaults.getConfig(root);
        if (!config.hasPath(root)) return List.of(root + ": missing");
        for (Map.Entry<String, ConfigValue> e : config.getConfig(root).entrySet()) {
            String key = e.getKey();
            if (!isDispatcherSetting(key) && !known.hasPathOrNull(key)) {
                problems.add(root + "." + key + ": unknown key" + at(e.getValue().origin()));
            }
        }
        for (Map.Entry<String, ConfigValue> e : known.entrySet()) {
            if (isDispatcherSetting(e.getKey())) continue;
            String path = root + "." + e.getKey();
            if (!config.hasPath(path)) {
                problems.add(path + ": required value is unset" + nullOrigin(config, path));
                continue;
            }
            checkType(config, path, e.getValue(), problems);
        }
        return problems;
    }

    /** Reads {@code path} with the getter that fits its default; a wrong type becomes a problem. */
    private static void checkType(Config config, String path, ConfigValue defaultValue, List<String> problems) {
        try {
            switch (defaultValue.valueType()) {
                case BOOLEAN -> config.getBoolean(path);
                case NUMBER -> {
                    if (defaultValue.unwrapped() instanceof Integer) config.getInt(path);
                    else config.getDouble(path);
                }
                case STRING -> {
                    if (isBoolean(defaultValue)) config.getBoolean(path);
                    else if (isDuration(defaultValue)) config.getDuration(path);
                    else if (isBytes(defaultValue)) config.getBytes(path);
                    else config.getString(path);
                }
                case LIST -> config.getList(path);
                case OBJECT -> config.getObject(path);
                case NULL -> { }
            }
        } catch (ConfigException.WrongType | ConfigException.BadValue ex) {
            ConfigValue actual = config.getValue(path);
            problems.add(path + ": expected " + describe(defaultValue) + " but got "
                    + actual.valueType().name().toLowerCase() + " " + actual.render() + at(actual.origin()));
        }
    }

    private static boolean isDispatcherSetting(String key) {
        return key.split("\\.")[0].endsWith("-dispatcher");
    }

    /** Where {@code path} was set to null, or nothing when it is simply absent. */
    private static String nullOrigin(Config config, String path) {
        if (!config.hasPathOrNull(path)) return "";
        int dot = path.lastIndexOf('.');
        return at(config.getObject(path.substring(0, dot)).get(path.substring(dot + 1)).origin());
    }

    /** HOCON's unquoted {@code on}/{@code off}/{@code yes}/{@code no} are strings that read as booleans. */
    private static boolean isBoolean(ConfigValue v) {
        return parses(v, c -> c.getBoolean("v"));
    }

    private static boolean isDuration(ConfigValue v) {
        return parses(v, c -> c.getDuration("v"));
    }

    private static boolean isBytes(ConfigValue v) {
        return parses(v, c -> c.getBytes("v"));
    }

    private static boolean parses(ConfigValue v, java.util.function.Consumer<Config> getter) {
        try {
            getter.accept(ConfigFactory.empty().withValue("v", v));
            return true;
        } catch (ConfigException e) {
            return false;
        }
    }

    private static String describe(ConfigValue defaultValue) {
        if (defaultValue.valueType() == ConfigValueType.STRING) {
            if (isBoolean(defaultValue)) return "a boolean (on/off)";
            if (isDuration(defaultValue)) return "a duration (e.g. " + defaultValue.unwrapped() + ")";
            if (isBytes(defaultValue)) return "a size in bytes (e.g. " + defaultValue.unwrapped() + ")";
            return "a string";
        }
        if (defaultValue.unwrapped() instanceof Integer) return "an integer";
        return switch (defaultValue.valueType()) {
            case BOOLEAN -> "a boolean (on/off)";
            case NUMBER -> "a number";
            case LIST -> "a list";
            case OBJECT -> "an object";
            default -> defaultValue.valueType().name().toLowerCase();
        };
    }

    /** " (file:line)" for {@code origin}, or its description when it is no file. */
    public static String at(ConfigOrigin origin) {
        if (origin.filename() != null) return " (" + origin.filename() + ":" + origin.lineNumber() + ")";
        if (origin.url() != null) return " (" + origin.url() + ":" + origin.lineNumber() + ")";
        return " (" + origin.description() + ")";
    }
}
