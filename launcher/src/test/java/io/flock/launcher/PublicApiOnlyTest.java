package io.flock.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The launcher is a client of Flock's public API: it names no actors package but {@code api} and
 * the benchmarks' entry points in {@code bench}, so the internals can change without it.
 */
class PublicApiOnlyTest {

    static final Path SOURCES = Path.of("src", "main", "java", "io", "flock", "launcher");
    static final Pattern INTERNAL = Pattern.compile("io\\.flock\\.actors\\.(?!api\\.|job\\.|config\\.|bench\\.)([a-z]+)\\.");

    @Test
    void launcherSources_useOnlyTheApiAndBenchPackages() throws IOException {
        List<String> internal;
        try (Stream<Path> files = Files.list(SOURCES)) {
            internal = files.filter(f -> f.toString().endsWith(".java"))
                    .flatMap(PublicApiOnlyTest::internalReferences).sorted().toList();
        }
        assertEquals(List.of(), internal);
    }

    private static Stream<String> internalReferences(Path file) {
        try {
            Matcher m = INTERNAL.matcher(Files.readString(file));
            Stream.Builder<String> found = Stream.builder();
            while (m.find()) found.add(file.getFileName() + ": " + m.group());
            return found.build();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
