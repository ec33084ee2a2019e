package io.flock.actors.wire;

import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A table of wire ids: each class allowed on the wire with the Kryo id it keeps for good, the
 * ids retired (never to be reused), and the protocol roots whose public records must all have an
 * id. Ids are append-only, so nodes of two builds agree on every id both know. Built once with
 * {@link #builder()}; duplicate ids or classes and reuse of a retired id fail the build of the
 * table, and {@link #missing()} lists reachable classes that have no id.
 *
 * <p>Two entries stand for their runtime class: {@code INDArray} (the ND4J backend's tensor
 * class, written by {@link io.flock.tensor.wire.TensorSerializer}) and Pekko's typed
 * {@code ActorRef} (written as its serialization-format path).
 */
public final class WireIds {

    /** First id; Kryo reserves the ones below for primitives and String. */
    public static final int FIRST_ID = 100;

    private final SortedMap<Integer, Class<?>> ids;
    private final SortedMap<Integer, String> retired;
    private final List<Class<?>> roots;

    private WireIds(SortedMap<Integer, Class<?>> ids, SortedMap<Integer, String> retired, List<Class<?>> roots) {
        this.ids = Collections.unmodifiableSortedMap(ids);
        this.retired = Collections.unmodifiableSortedMap(retired);
        this.roots = List.copyOf(roots);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Active ids and their classes, in id order. */
    public SortedMap<Integer, Class<?>> ids() {
        return ids;
    }

    /** Retired ids and the name of the class each once stood for. */
    public SortedMap<Integer, String> retired() {
        return retired;
    }

    /** The protocol roots and value types whose public records must each have an id. */
    public List<Class<?>> roots() {
        return roots;
    }

    /** The next free id: above every active and retired one. */
    public int nextId() {
        int max = FIRST_ID - 1;
        if (!ids.isEmpty()) max = Math.max(max, ids.lastKey());
        if (!retired.isEmpty()) max = Math.max(max, retired.lastKey());
        return max + 1;
    }

    /**
     * Every public class reachable from the roots: a sealed root contributes its permitted
     * subclasses (recursively), any other public class itself. Private records (timer ticks,
     * adapted replies) never leave their JVM and need no id.
     */
    public List<Class<?>> reachable() {
        Set<Class<?>> out = new LinkedHashSet<>();
        for (Class<?> root : roots) collect(root, out);
        return new ArrayList<>(out);
    }

    /** Reachable classes without an id, each with the line to append; empty when the table is complete. */
    public List<String> missing() {
        List<String> problems = new ArrayList<>();
        int next = nextId();
        for (Class<?> c : reachable()) {
            if (!ids.containsValue(c)) {
                problems.add(c.getTypeName() + " is on the wire (reachable from the protocol roots) but has no wire id: append "
                        + ".id(" + next + ", " + c.getCanonicalName() + ".class) to the table and the line '" + next + "  "
                        + c.getTypeName() + "' to actors/src/test/resources/wire-ids.txt");
                next++;
            }
        }
        return problems;
    }

    /** Throws, naming every class that needs an id, unless {@link #missing()} is empty. */
    public void checkComplete() {
        List<String> problems = missing();
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the wire id table is incomplete:\n  " + String.join("\n  ", problems));
        }
    }

    private static void collect(Class<?> c, Set<Class<?>> out) {
        if (c.isSealed()) {
            Class<?>[] permitted = c.getPermittedSubclasses().clone();
            Arrays.sort(permitted, Comparator.comparing(Class::getName));
            for (Class<?> p : permitted) collect(p, out);
        } else if (!c.isInterface() && Modifier.isPublic(c.getModifiers())) {
            out.add(c);
        }
    }

    /** Collects the table's lines; {@link #build()} checks them. */
    public static final class Builder {
        private final SortedMap<Integer, Class<?>> ids = new TreeMap<>();
        private final SortedMap<Integer, String> retired = new TreeMap<>();
        private final List<Class<?>> roots = new ArrayList<>();

        private Builder() {}

        /** Gives {@code type} the wire id {@code id}, for good. */
        public Builder id(int id, Class<?> type) {
            if (id < FIRST_ID) throw new IllegalArgumentException("wire id " + id + " of " + type.getTypeName() + " is below " + FIRST_ID);
            Class<?> before = ids.put(id, type);
            if (before != null) {
                throw new IllegalArgumentException("wire id " + id + " is given twice: " + before.getTypeName() + " and "
                        + type.getTypeName());
            }
            return this;
        }

        /** Marks {@code id}, once {@code className}'s, as retired: it is never registered or reused. */
        public Builder retired(int id, String className) {
            if (retired.put(id, className) != null) throw new IllegalArgumentException("wire id " + id + " is retired twice");
            return this;
        }

        /** The protocol roots and value types whose public records must each have an id. */
        public Builder roots(List<Class<?>> roots) {
            this.roots.addAll(roots);
            return this;
        }

        public WireIds build() {
            for (Map.Entry<Integer, String> r : retired.entrySet()) {
                if (ids.containsKey(r.getKey())) {
                    throw new IllegalArgumentException("wire id " + r.getKey() + " is retired (" + r.getValue()
                            + ") and may never be reused, but is given to " + ids.get(r.getKey()).getTypeName()
                            + ": append a new id instead");
                }
            }
            Set<Class<?>> seen = new LinkedHashSet<>();
            for (Map.Entry<Integer, Class<?>> e : ids.entrySet()) {
                if (!seen.add(e.getValue())) {
                    throw new IllegalArgumentException(e.getValue().getTypeName() + " has two wire ids; the later one is "
                            + e.getKey());
                }
            }
            return new WireIds(new TreeMap<>(ids), new TreeMap<>(retired), roots);
        }
    }
}
