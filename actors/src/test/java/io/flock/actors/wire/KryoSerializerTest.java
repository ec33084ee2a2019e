package io.flock.actors.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.shard.ParameterShard;
import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class KryoSerializerTest {

    static ActorTestKit testKit;
    static KryoSerializer serializer;
    static TestProbe<Object> probe;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create("flock", ConfigFactory.parseString(
                "pekko.remote.artery.canonical.port = 0\npekko.remote.artery.canonical.hostname = 127.0.0.1")
                .withFallback(io.flock.actors.api.FlockConfig.load()));
        serializer = new io.flock.actors.serialization.FlockSerializer((ExtendedActorSystem) Adapter.toClassic(testKit.system()));
        probe = testKit.createTestProbe();
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void everyRegisteredMessage_roundTripsThroughByteArrayAndByteBuffer() throws Exception {
        List<Object> samples = WireSamples.all(probe.ref());
        Set<Class<?>> covered = new HashSet<>();
        for (Object sample : samples) {
            covered.add(sample.getClass());
            if (!(sample instanceof FlockMessage)) {
                assertValueRoundTrip(sample);
                continue;
            }
            assertRoundTrip(sample, serializer.fromBinary(serializer.toBinary(sample), ""));
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            serializer.toBinary(sample, buf);
            buf.flip();
            assertRoundTrip(sample, serializer.fromBinary(buf, ""));
            assertEquals(buf.limit(), buf.position(), "the whole buffer is consumed");
        }
        for (Class<?> c : io.flock.actors.serialization.FlockWireIds.IDS.reachable()) {
            if (c.isArray()) continue; // registered for fields of the samples, which cover them
            assertTrue(covered.contains(c), "no round-trip sample for wire class " + c.getName());
        }
    }

    @Test
    void pekkoSerialization_picksKryoForFlockMessages() {
        var pulled = new ParameterShard.Pulled("j", 0, 1, 0, Nd4j.ones(4));
        var chosen = SerializationExtension.get(Adapter.toClassic(testKit.system())).findSerializerFor(pulled);
        assertEquals(KryoSerializer.ID, chosen.identifier());
    }

    @Test
    void fromBinary_unregisteredClassId_failsWithClearError() {
        byte[] bytes = {(byte) 0xE7, 0x07, 1, 2, 3}; // varint class id 999 + 2, not registered
        var e = assertThrows(NotSerializableException.class, () -> serializer.fromBinary(bytes, ""));
        assertTrue(e.getMessage().contains("unregistered class ID"), e.getMessage());
    }

    @Test
    void fromBinary_truncatedMessage_failsWithClearError() {
        byte[] full = serializer.toBinary(new ParameterShard.Push("job", 3, 1, Nd4j.rand(100)));
        byte[] cut = java.util.Arrays.copyOf(full, full.length / 2);
        var e = assertThrows(NotSerializableException.class, () -> serializer.fromBinary(cut, ""));
        assertTrue(e.getMessage().startsWith("cannot decode Flock message of " + cut.length + " bytes"), e.getMessage());
    }

    @Test
    void fromBinary_actorRefWithNullPath_isRefused() {
        // Before the check this crashed the JVM: Pekko's resolver hashes the path with Unsafe.
        var kryo = WireRegistry.newKryo(io.flock.actors.serialization.FlockWireIds.IDS, null);
        var out = new com.esotericsoftware.kryo.io.Output(16);
        out.writeVarInt(kryo.getRegistration(io.flock.actors.coordinator.Coordinator.GetStatus.class).getId() + 2, true);
        out.writeVarInt(kryo.getRegistration(
                org.apache.pekko.actor.typed.internal.adapter.ActorRefAdapter.class).getId() + 2, true);
        out.writeString(null);
        byte[] bytes = out.toBytes();

        var e = assertThrows(NotSerializableException.class, () -> serializer.fromBinary(bytes, ""));
        assertTrue(e.getMessage().contains("an ActorRef has no path"), e.getMessage());
    }

    @Test
    void fromBinary_trailingGarbage_isRefused() {
        byte[] full = serializer.toBinary(new ParameterShard.Release("job"));
        byte[] longer = java.util.Arrays.copyOf(full, full.length + 3);
        var e = assertThrows(NotSerializableException.class, () -> serializer.fromBinary(longer, ""));
        assertTrue(e.getMessage().contains("trailing bytes"), e.getMessage());
    }

    @Test
    void toBinary_classOutsideTheRegistry_isRefused() {
        record NotOnTheWire(int x) implements FlockMessage {}
        var e = assertThrows(IllegalArgumentException.class, () -> serializer.toBinary(new NotOnTheWire(1)));
        assertTrue(e.getMessage().contains("not registered"), e.getMessage());
    }

    /**
     * Values (jobs, specs, shard state) travel inside messages: they round-trip through Flock's
     * Kryo, and the serializer refuses one that arrives as a message of its own.
     */
    private static void assertValueRoundTrip(Object value) throws Exception {
        var kryo = WireRegistry.newKryo(io.flock.actors.serialization.FlockWireIds.IDS, org.apache.pekko.actor.typed.ActorRefResolver.get(testKit.system()));
        var out = new com.esotericsoftware.kryo.io.Output(1 << 12, -1);
        kryo.writeClassAndObject(out, value);
        assertRoundTrip(value, kryo.readClassAndObject(new com.esotericsoftware.kryo.io.Input(out.toBytes())));
        var e = assertThrows(NotSerializableException.class, () -> serializer.fromBinary(serializer.toBinary(value), ""));
        assertTrue(e.getMessage().contains("not a message"), e.getMessage());
    }

    @Test
    void fromBinary_manifest_isRefused() {
        byte[] bytes = serializer.toBinary(new ParameterShard.Release("job"));
        var e = assertThrows(NotSerializableException.class, () -> serializer.fromBinary(bytes, "Release"));
        assertTrue(e.getMessage().contains("unexpected manifest 'Release'"), e.getMessage());
    }

    private static void assertRoundTrip(Object expected, Object actual) {
        assertEquals(expected.getClass(), actual.getClass());
        if (expected instanceof Record) {
            // Records holding tensors compare tensors by value, everything else by equals.
            assertEquals(normalize(expected), normalize(actual), expected.getClass().getName());
        } else {
            assertEquals(expected, actual);
        }
    }

    private static String normalize(Object o) {
        if (o instanceof INDArray a) return a.dataType() + java.util.Arrays.toString(a.shape()) + a.toStringFull();
        if (o instanceof Object[] arr) {
            StringBuilder sb = new StringBuilder("[");
            for (Object e : arr) sb.append(normalize(e)).append(',');
            return sb.append(']').toString();
        }
        if (o != null && o.getClass().isArray()) return java.util.Arrays.deepToString(new Object[] {o});
        if (o instanceof Record r) {
            StringBuilder sb = new StringBuilder(r.getClass().getSimpleName()).append('(');
            for (var c : r.getClass().getRecordComponents()) {
                try {
                    sb.append(normalize(c.getAccessor().invoke(r))).append(',');
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            }
            return sb.append(')').toString();
        }
        return String.valueOf(o);
    }
}
