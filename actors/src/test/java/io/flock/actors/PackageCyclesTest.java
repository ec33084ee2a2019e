package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the packages of the actors module free of cycles: it reads the main sources, takes every
 * reference to another {@code io.flock.actors.<package>} (imports and fully qualified names) as an
 * edge, and fails naming each strongly connected group of packages with one file per edge, so a
 * new dependency that closes a loop is caught where it is written.
 */
class PackageCyclesTest {

    private static final Path SOURCES = Path.of("src/main/java/io/flock/actors");
    private static final Pattern PACKAGE = Pattern.compile("^package (io\\.flock\\.actors\\.(\\w+))[.\\w]*;", Pattern.MULTILINE);
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.flock\\.actors\\.(\\w+)\\.");

    @Test
    void actorsPackages_formNoCycle() throws IOException {
        Map<String, Map<String, String>> edges = dependencies();
        assertTrue(edges.size() >= 8, "expected the actors packages under " + SOURCES.toAbsolutePath() + ", found " + edges.keySet());
        List<Set<String>> cycles = stronglyConnected(edges).stream().filter(c -> c.size() > 1).toList();
        StringBuilder why = new StringBuilder();
        for (Set<String> cycle : cycles) {
            why.append("\npackages ").append(cycle).append(" depend on each other:");
            for (String from : cycle) {
                edges.get(from).forEach((to, file) -> {
                    if (cycle.contains(to)) why.append("\n  ").append(from).append(" -> ").append(to).append(" (").append(file).append(')');
                });
            }
        }
        assertEquals(List.of(), cycles, why.toString());
    }

    @Test
    void stronglyConnected_findsALoopOfThree() {
        Map<String, Map<String, String>> g = new TreeMap<>();
        g.put("a", Map.of("b", "A.java"));
        g.put("b", Map.of("c", "B.java"));
        g.put("c", Map.of("a", "C.java", "d", "C.java"));
        g.put("d", Map.of());
        List<Set<String>> loops = stronglyConnected(g).stream().filter(c -> c.size() > 1).toList();
        assertEquals(List.of(Set.of("a", "b", "c")), loops);
    }

    /** package -> (package it references -> one file that does). */
    private static Map<String, Map<String, String>> dependencies() throws IOException {
        Map<String, Map<String, String>> edges = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                Matcher pkg = PACKAGE.matcher(source);
                if (!pkg.find()) continue;
                String from = pkg.group(2);
                Map<String, String> out = edges.computeIfAbsent(from, k -> new TreeMap<>());
                Matcher ref = REFERENCE.matcher(source);
                while (ref.find()) {
                    String to = ref.group(1);
                    if (!to.equals(from) && Character.isLowerCase(to.charAt(0))) {
                        out.putIfAbsent(to, SOURCES.relativize(file).toString());
                    }
                }
            }
        }
        return edges;
    }

    /** Tarjan's algorithm (Tarjan 1972), iterative over a small graph. */
    private static List<Set<String>> stronglyConnected(Map<String, Map<String, String>> g) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] next = {0};
        for (String v : g.keySet()) {
            if (!index.containsKey(v)) visit(v, g, index, low, stack, onStack, out, next);
        }
        return out;
    }

    private static void visit(String v, Map<String, Map<String, String>> g, Map<String, Integer> index,
            Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<Set<String>> out, int[] next) {
        index.put(v, next[0]);
        low.put(v, next[0]++);
        stack.push(v);
        onStack.add(v);
        for (String w : g.getOrDefault(v, Map.of()).keySet()) {
            if (!index.containsKey(w)) {
                visit(w, g, index, low, stack, onStack, out, next);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            out.add(component);
        }
    }
}
