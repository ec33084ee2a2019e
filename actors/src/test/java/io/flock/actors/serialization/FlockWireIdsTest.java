package io.flock.actors.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.actors.wire.WireIds;
import io.flock.actors.wire.WireRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Flock's wire ids are append-only: {@link FlockWireIds} must agree line by line with the
 * committed {@code actors/src/test/resources/wire-ids.txt}, and every public record reachable from
 * the protocol roots must have an id.
 */
class FlockWireIdsTest {

    static final String FILE = "actors/src/test/resources/wire-ids.txt";

    /** A sealed protocol for the checks below: two public records and a private one. */
    sealed interface Proto permits A, B, Hidden {}

    public record A(int x) implements Proto {}

    public record B(String y) implements Proto {}

    private record Hidden() implements Proto {}

    @Test
    void table_matchesTheCommittedIdFile() throws IOException {
        List<String> problems = compare(FlockWireIds.IDS, committedLines());
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void table_givesEveryReachableRecordAnId() {
        assertEquals(List.of(), FlockWireIds.IDS.missing());
        assertTrue(FlockWireIds.IDS.ids().containsValue(io.flock.actors.coordinator.Coordinator.Submit.class));
    }

    @Test
    void newKryo_recordWithoutId_failsNamingTheClassAndTheLineToAppend() {
        WireIds table = WireIds.builder().id(100, A.class).roots(List.of(Proto.class)).build();

        var e = assertThrows(IllegalStateException.class, () -> WireRegistry.newKryo(table, null));
        assertTrue(e.getMessage().contains(B.class.getTypeName() + " is on the wire") && e.getMessage().contains("no wire id")
                && e.getMessage().contains(".id(101, ") && e.getMessage().contains("'101  " + B.class.getTypeName() + "'"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("Hidden"), "private records need no id: " + e.getMessage());
    }

    @Test
    void build_retiredIdReused_isRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> WireIds.builder().retired(100, "x.Old").id(100, A.class).build());
        assertTrue(e.getMessage().contains("retired") && e.getMessage().contains("never be reused"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> WireIds.builder().id(100, A.class).id(100, B.class));
        assertThrows(IllegalArgumentException.class, () -> WireIds.builder().id(100, A.class).id(101, A.class).build());
    }

    @Test
    void compare_removedEntry_failsSayingIdsAreAppendOnly() {
        WireIds table = WireIds.builder().id(100, A.class).build();

        List<String> problems = compare(table, List.of("100  " + A.class.getTypeName(), "101  " + B.class.getTypeName()));

        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("id 101") && problems.get(0).contains("append-only")
                && problems.get(0).contains(".retired(101"), problems.get(0));
    }

    @Test
    void compare_renumberedEntry_failsSayingIdsAreAppendOnly() {
        WireIds table = WireIds.builder().id(100, B.class).id(101, A.class).build();

        List<String> problems = compare(table, List.of("100  " + A.class.getTypeName(), "101  " + B.class.getTypeName()));

        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("id 100 is " + A.class.getTypeName()) && problems.get(0).contains("append-only"),
                problems.get(0));
    }

    @Test
    void compare_newClassNotInTheFile_failsSayingToAppendIt() {
        WireIds table = WireIds.builder().id(100, A.class).id(101, B.class).build();

        List<String> problems = compare(table, List.of("100  " + A.class.getTypeName()));

        assertEquals(List.of("FlockWireIds has id 101 (" + B.class.getTypeName() + ") that " + FILE
                + " lacks: append the line '101  " + B.class.getTypeName() + "' to it"), problems);
    }

    @Test
    void compare_retiredIds_mustStayRetiredInBoth() {
        WireIds retired = WireIds.builder().id(100, A.class).retired(101, "x.Old").build();
        assertEquals(List.of(), compare(retired, List.of("100  " + A.class.getTypeName(), "101  retired  x.Old")));

        List<String> notMarked = compare(retired, List.of("100  " + A.class.getTypeName(), "101  x.Old"));
        assertTrue(notMarked.size() == 1 && notMarked.get(0).contains("101  retired  x.Old"), notMarked.toString());

        WireIds reused = WireIds.builder().id(100, A.class).id(101, B.class).build();
        List<String> reuse = compare(reused, List.of("100  " + A.class.getTypeName(), "101  retired  x.Old"));
        assertTrue(reuse.size() == 1 && reuse.get(0).contains("never be reused"), reuse.toString());
    }

    /** The committed id file's lines, comments and blank lines dropped. */
    static List<String> committedLines() throws IOException {
        try (InputStream in = FlockWireIdsTest.class.getResourceAsStream("/wire-ids.txt")) {
            assertTrue(in != null, FILE + " is missing from the test classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        }
    }

    /** One committed line: an id, whether it is retired, and the class name. */
    private record Line(int id, boolean retired, String name) {}

    /** Every way {@code table} breaks the append-only rule against the id file {@code lines}. */
    static List<String> compare(WireIds table, List<String> lines) {
        List<String> problems = new ArrayList<>();
        Map<Integer, Line> file = new TreeMap<>();
        int previous = Integer.MIN_VALUE;
        for (String text : lines) {
            String[] f = text.trim().split("\\s+");
            boolean retired = f.length == 3 && f[1].equals("retired");
            if (!(f.length == 2 || retired) || !f[0].matches("\\d+")) {
                problems.add(FILE + ": cannot read the line '" + text + "' (want '<id>  <class>' or '<id>  retired  <class>')");
                continue;
            }
            Line line = new Line(Integer.parseInt(f[0]), retired, f[f.length - 1]);
            if (line.id() <= previous) {
                problems.add(FILE + ": id " + line.id() + " comes after " + previous + ": ids are append-only, each line "
                        + "adds a higher id at the end");
            }
            previous = line.id();
            file.put(line.id(), line);
        }
        for (Line line : file.values()) problems.addAll(check(table, line));
        table.ids().forEach((id, c) -> {
            if (!file.containsKey(id)) {
                problems.add("FlockWireIds has id " + id + " (" + c.getTypeName() + ") that " + FILE
                        + " lacks: append the line '" + id + "  " + c.getTypeName() + "' to it");
            }
        });
        table.retired().forEach((id, name) -> {
            if (!file.containsKey(id)) {
                problems.add("FlockWireIds retires id " + id + " (" + name + ") that " + FILE + " lacks: append the line '"
                        + id + "  retired  " + name + "' to it");
            }
        });
        return problems;
    }

    private static List<String> check(WireIds table, Line line) {
        Class<?> active = table.ids().get(line.id());
        String retired = table.retired().get(line.id());
        String appendOnly = "wire ids are append-only: nodes and files of other builds use id " + line.id() + " for "
                + line.name();
        if (line.retired()) {
            if (active != null) {
                return List.of("id " + line.id() + " is retired (once " + line.name() + ") and may never be reused, but "
                        + "FlockWireIds gives it to " + active.getTypeName() + ": give that class the next free id, "
                        + table.nextId() + ", instead");
            }
            if (retired == null) {
                return List.of("id " + line.id() + " (retired, once " + line.name() + ") is missing from FlockWireIds: "
                        + "keep it as .retired(" + line.id() + ", \"" + line.name() + "\"); " + appendOnly);
            }
            return List.of();
        }
        if (active == null && retired == null) {
            return List.of("id " + line.id() + " (" + line.name() + ") is missing from FlockWireIds; " + appendOnly
                    + ". Never remove an entry: retire it with .retired(" + line.id() + ", \"" + line.name()
                    + "\") and mark the line '" + line.id() + "  retired  " + line.name() + "' in " + FILE);
        }
        if (active == null) {
            return List.of("id " + line.id() + " (" + line.name() + ") is retired in FlockWireIds: mark its line in " + FILE
                    + " '" + line.id() + "  retired  " + line.name() + "' (the line stays: ids are append-only)");
        }
        if (!active.getTypeName().equals(line.name())) {
            return List.of("id " + line.id() + " is " + line.name() + " in " + FILE + " but " + active.getTypeName()
                    + " in FlockWireIds; " + appendOnly + " and are never renumbered. If the class was only renamed or "
                    + "moved with its fields unchanged, write its new name on this line; otherwise give " + line.name()
                    + " its id back (or retire it) and append " + active.getTypeName() + " with the next free id");
        }
        return List.of();
    }
}
