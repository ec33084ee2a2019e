package io.flock.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** Flock's version, read from the build-filtered {@code version.properties} ("dev" when absent). */
final class FlockVersion implements IVersionProvider {

    static String version() {
        Properties props = new Properties();
        try (InputStream in = FlockVersion.class.getResourceAsStream("version.properties")) {
            if (in != null) props.load(in);
        } catch (IOException e) {
            return "dev";
        }
        return props.getProperty("version", "dev");
    }

    @Override
    public String[] getVersion() {
        return new String[] {"flock " + version(), "Java " + Runtime.version()};
    }
}
