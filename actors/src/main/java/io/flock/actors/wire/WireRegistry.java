package io.flock.actors.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.flock.tensor.wire.TensorSerializer;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds the Kryo instances of Flock's wire from a {@link WireIds} table: registration required,
 * every class under the id the table gives it (retired ids stay unregistered), class names
 * refused unread, nesting bounded, array and string lengths checked against the bytes left
 * ({@link BoundedReads}), tensors through {@link TensorSerializer} and typed ActorRefs as their
 * path. Anything not in the table is refused by Kryo before instantiation.
 *
 * <p>This package is generic machinery and knows no protocol: Flock's own table of classes is
 * {@code FlockWireIds} (serialization package), in a package above the protocols, so that
 * the protocol packages may depend on {@link FlockMessage} here without a package cycle.
 */
public final class WireRegistry {

    /** First id used by Flock; Kryo reserves the ones below for primitives and String. */
    public static final int FIRST_ID = WireIds.FIRST_ID;

    /**
     * Deepest nesting of objects Kryo reads. Flock's deepest message (a backup's shard image:
     * HostBackup, ShardImage, Exported, PendingStep[], PendingStep, INDArray[], INDArray) nests 7;
     * without a bound, a corrupt message that keeps naming records inside records recurses until
     * the stack overflows (200k levels fit in a 600 KB frame).
     */
    static final int MAX_DEPTH = 24;

    private WireRegistry() {}

    /**
     * A Kryo instance with registration required and every class of {@code table} registered
     * under its id. {@code resolver} may be null where no ActorRef is ever written.
     *
     * @throws IllegalStateException when a class reachable from the table's roots has no id
     *                               (the message names it and the line to append)
     */
    public static Kryo newKryo(WireIds table, ActorRefResolver resolver) {
        table.checkComplete();
        Kryo kryo = new Kryo(new IdsOnlyClassResolver(), null);
        kryo.setRegistrationRequired(true);
        kryo.setReferences(false);
        kryo.setMaxDepth(MAX_DEPTH);
        kryo.getRegistration(String.class).setSerializer(new BoundedReads.StringSerializer());
        for (Map.Entry<Integer, Class<?>> e : table.ids().entrySet()) register(kryo, e.getKey(), e.getValue(), resolver);
        return kryo;
    }

    private static void register(Kryo kryo, int id, Class<?> c, ActorRefResolver resolver) {
        if (c == INDArray.class) {
            kryo.register(tensorClass(), new TensorSerializer(), id);
        } else if (c == ActorRef.class) {
            kryo.register(actorRefClass(), new ActorRefSerializer(resolver), id);
        } else if (c == String[].class) {
            kryo.register(c, new BoundedReads.StringArraySerializer(), id);
        } else if (c.isArray()) {
            boundArray(kryo.register(c, id));
        } else {
            kryo.register(c, id);
        }
    }

    /** Puts a length check in front of Kryo's array serializer (see {@link BoundedReads}). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void boundArray(com.esotericsoftware.kryo.Registration registration) {
        Serializer serializer = registration.getSerializer();
        registration.setSerializer(new BoundedReads.ArraySerializer<>(serializer,
                BoundedReads.minElementBytes(registration.getType().getComponentType())));
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }

    private static Class<?> tensorClass() {
        return Nd4j.create(DataType.FLOAT, 1).getClass();
    }

    private static Class<?> actorRefClass() {
        // The concrete typed ActorRef class of this Pekko build (an adapter over a classic ref).
        return org.apache.pekko.actor.typed.internal.adapter.ActorRefAdapter.class;
    }

    /**
     * Kryo's resolver, minus class names: even with registration required, Kryo reads a class
     * written by name (class varint 1) — an unbounded string, then {@code Class.forName} — before
     * it finds the class unregistered. Flock writes registered ids only, so a name is refused unread.
     */
    private static final class IdsOnlyClassResolver extends com.esotericsoftware.kryo.util.DefaultClassResolver {
        @Override
        protected com.esotericsoftware.kryo.Registration readName(Input input) {
            throw new com.esotericsoftware.kryo.KryoException(
                    "a class given by name, not by registered id: Flock's wire accepts registered classes only");
        }
    }

    /** Typed ActorRefs travel as their serialization-format string, resolved on arrival. */
    private static final class ActorRefSerializer extends Serializer<ActorRef<?>> {
        private final ActorRefResolver resolver;

        ActorRefSerializer(ActorRefResolver resolver) {
            this.resolver = resolver;
        }

        @Override
        public void write(Kryo kryo, Output output, ActorRef<?> ref) {
            if (resolver == null) throw new com.esotericsoftware.kryo.KryoException("an ActorRef cannot be written outside a running node");
            output.writeString(resolver.toSerializationFormat(ref));
        }

        @Override
        public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
            if (resolver == null) throw new com.esotericsoftware.kryo.KryoException("an ActorRef cannot be read outside a running node");
            String path = BoundedReads.readString(input);
            // Pekko's resolver assumes a well-formed path: null crashes the JVM (Unsafe string hash).
            if (path == null || path.isEmpty()) throw new com.esotericsoftware.kryo.KryoException("an ActorRef has no path");
            try {
                org.apache.pekko.actor.ActorPaths.fromString(path);
            } catch (Exception e) { // MalformedURLException, undeclared by the Scala signature
                throw new com.esotericsoftware.kryo.KryoException("an ActorRef has a malformed path: " + abbreviate(path));
            }
            return resolver.resolveActorRef(path);
        }
    }

}
