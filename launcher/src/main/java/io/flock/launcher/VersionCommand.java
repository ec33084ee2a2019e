package io.flock.launcher;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code flock version}: prints the same lines as {@code flock --version}. */
@Command(name = "version", description = "Print the Flock version.")
final class VersionCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        for (String line : new FlockVersion().getVersion()) spec.commandLine().getOut().println(line);
    }
}
