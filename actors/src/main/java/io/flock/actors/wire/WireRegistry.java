package io.flock.actors.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.flock.strategies.Strategy;
import io.flock.actors.api.TrainingEvent;
import io.flock.actors.api.TrainingJob;
import io.flock.actors.api.TrainingResult;
import io.flock.actors.coordinator.Coordinator;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.worker.Worker;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import io.flock.tensor.wire.TensorSerializer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The one list of classes allowed on Flock's wire, with fixed Kryo ids. Every sealed protocol
 * root contributes all of its permitted records, sorted by name, so ids are identical on every
 * node running the same build and a new message type is registered by existing in its
 * protocol. Anything not listed is refused by Kryo before instantiation.
 */
public final class WireRegistry {

    /** First id used by Flock; Kryo reserves the ones below for primitives and String. */
    static final int FIRST_ID = 100;

    /**
     * Deepest nesting of objects Kryo reads. Flock's deepest message (a backup's shard image:
     * HostBackup, ShardImage, Exported, PendingStep[], PendingStep, INDArray[], INDArray) nests 7;
     * without a bound, a corrupt message that keeps naming records inside records recurses until
     * the stack overflows (200k levels fit in a 600 KB frame).
     */
    static final int MAX_DEPTH = 24;

    /** Protocol roots and value types, in registration order. Append only: ids follow order. */
    private static final List<Class<?>> ROOTS = List.of(
            TrainingJob.class, TrainingResult.class, Strategy.class,
            ModelSpec.class, DatasetSpec.class, OptimizerSpec.class,
            TrainingEvent.class,
            Coordinator.Command.class,
            Worker.Command.class,
            ParameterShard.Command.class, ParameterShard.Reply.class,
            io.flock.actors.worker.Assignment.class,
            io.flock.actors.checkpoint.Checkpoint.class,
            io.flock.actors.checkpoint.CheckpointResult.class,
            io.flock.actors.shard.ShardImage.class, io.flock.strategies.BspShardState.Exported.class,
            io.flock.actors.shard.ShardBackup.Command.class, io.flock.actors.shard.BackupHost.Command.class,
            io.flock.actors.api.JobStatus.class,
            io.flock.strategies.BspShardState.PendingStep.class,
            io.flock.strategies.BspShardState.PendingStep[].class,
            org.nd4j.linalg.api.ndarray.INDArray[].class,
            io.flock.actors.api.SwitchResult.class,
            io.flock.actors.shard.ShardImage.Ssp.class, io.flock.strategies.SspShardState.Exported.class,
            java.time.Duration.class);

    private static final List<Class<?>> ARRAYS = List.of(
            byte[].class, int[].class, long[].class, float[].class, double[].class, boolean[].class,
            String[].class, long[][].class);

    private WireRegistry() {}

    /**
     * A Kryo instance with registration required and every Flock wire class registered.
     * {@code resolver} may be null where no ActorRef is ever written (checkpoint files).
     */
    public static Kryo newKryo(ActorRefResolver resolver) {
        Kryo kryo = new Kryo(new IdsOnlyClassResolver(), null);
        kryo.setRegistrationRequired(true);
        kryo.setReferences(false);
        kryo.setMaxDepth(MAX_DEPTH);
        kryo.getRegistration(String.class).setSerializer(new BoundedReads.StringSerializer());
        int id = FIRST_ID;
        for (Class<?> c : ARRAYS) {
            if (c == String[].class) kryo.register(c, new BoundedReads.StringArraySerializer(), id++);
            else boundArray(kryo.register(c, id++));
        }
        kryo.register(tensorClass(), new TensorSerializer(), id++);
        kryo.register(actorRefClass(), new ActorRefSerializer(resolver), id++);
        for (Class<?> c : messageClasses()) {
            var registration = kryo.register(c, id++);
            if (c.isArray()) boundArray(registration);
        }
        return kryo;
    }

    /** Puts a length check in front of Kryo's array serializer (see {@link BoundedReads}). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void boundArray(com.esotericsoftware.kryo.Registration registration) {
        Serializer serializer = registration.getSerializer();
        registration.setSerializer(new BoundedReads.ArraySerializer<>(serializer,
                BoundedReads.minElementBytes(registration.getType().getComponentType())));
    }

    /** All message and value classes reachable from the protocol roots, in id order. */
    public static List<Class<?>> messageClasses() {
        Set<Class<?>> out = new LinkedHashSet<>();
        for (Class<?> root : ROOTS) collect(root, out);
        return new ArrayList<>(out);
    }

    private static void collect(Class<?> c, Set<Class<?>> out) {
        if (c.isSealed()) {
            Class<?>[] permitted = c.getPermittedSubclasses().clone();
            java.util.Arrays.sort(permitted, Comparator.comparing(Class::getName));
            for (Class<?> p : permitted) collect(p, out);
        } else if (!c.isInterface() && java.lang.reflect.Modifier.isPublic(c.getModifiers())) {
            out.add(c); // private records (timer ticks, adapted replies) never leave their JVM
        }
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
