package io.flock.actors.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Output;
import com.typesafe.config.ConfigFactory;
import java.io.NotSerializableException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Seeded fuzz of {@link KryoSerializer#fromBinary}: real encodings of every wire sample
 * ({@link WireSamples}), truncated, bit-flipped, overwritten with huge length prefixes, replaced
 * by random bytes or paired with a wrong manifest. Each case must end in a
 * {@link NotSerializableException} that says what was wrong, or decode to a registered
 * {@link FlockMessage} whose whole object graph is made of registered classes; never another
 * exception, an {@link Error} (OutOfMemoryError, StackOverflowError), a large allocation or a hang.
 */
class KryoFuzzTest {

    static final long SEED = 0xF10C_5EEDL;
    /** Cases per {@code assertTimeoutPreemptively} batch, and that batch's time limit. */
    static final int BATCH = 500;
    static final Duration BATCH_LIMIT = Duration.ofSeconds(10);
    /** Heap one decode may allocate beyond a fixed multiple of its input: far below any huge prefix. */
    static final long ALLOCATION_SLACK = 8L << 20;
    static final int[] HUGE = {Integer.MAX_VALUE, Integer.MAX_VALUE - 1, Integer.MAX_VALUE - 8, 1 << 30, (1 << 28) + 3};

    static ActorTestKit testKit;
    static KryoSerializer serializer;
    static Kryo registry;
    static List<Sample> samples;

    /** One encoded wire sample. */
    record Sample(String name, byte[] bytes) {}

    /** One fuzz input: what it was made from (for the failure report), its bytes and manifest. */
    record Case(String label, byte[] bytes, String manifest) {}

    /** What the cases of one family did, with every refusal's message. */
    record Tally(int cases, int refused, int decoded, List<String> reasons) {
        boolean anyReason(String fragment) {
            return reasons.stream().anyMatch(r -> r.contains(fragment));
        }

        @Override
        public String toString() {
            return cases + " cases: " + refused + " refused, " + decoded + " decoded";
        }
    }

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create("flock", ConfigFactory.parseString(
                "pekko.remote.artery.canonical.port = 0\npekko.remote.artery.canonical.hostname = 127.0.0.1")
                .withFallback(io.flock.actors.api.FlockConfig.load()));
        serializer = new io.flock.actors.serialization.FlockSerializer((ExtendedActorSystem) Adapter.toClassic(testKit.system()));
        registry = WireRegistry.newKryo(io.flock.actors.serialization.FlockWireIds.IDS, ActorRefResolver.get(testKit.system()));
        samples = new ArrayList<>();
        for (Object o : WireSamples.all(testKit.createTestProbe().ref())) {
            samples.add(new Sample(o.getClass().getSimpleName(), serializer.toBinary(o)));
        }
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void fromBinary_truncatedAtEveryOffset_isRefused() {
        List<Case> cases = new ArrayList<>();
        for (Sample s : samples) {
            for (int cut = 0; cut < s.bytes().length; cut++) {
                cases.add(new Case(s.name() + " cut to " + cut, Arrays.copyOf(s.bytes(), cut), ""));
            }
        }
        Tally tally = run("truncation", cases);
        assertEquals(tally.cases(), tally.refused(), "every truncated message is refused");
    }

    @Test
    void fromBinary_randomBitFlips_areRefusedOrDecodeToRegisteredMessages() {
        SplittableRandom random = new SplittableRandom(SEED);
        List<Case> cases = new ArrayList<>();
        for (Sample s : samples) {
            for (int i = 0; i < 120; i++) {
                byte[] bytes = s.bytes().clone();
                int flips = 1 + random.nextInt(3);
                StringBuilder label = new StringBuilder(s.name()).append(" bits flipped at");
                for (int f = 0; f < flips; f++) {
                    int bit = random.nextInt(bytes.length * 8);
                    bytes[bit / 8] ^= (byte) (1 << (bit % 8));
                    label.append(' ').append(bit);
                }
                cases.add(new Case(label.toString(), bytes, ""));
            }
        }
        Tally tally = run("bit flips", cases);
        assertTrue(tally.refused() > tally.cases() / 2, "most flips are detected: " + tally);
    }

    @Test
    void fromBinary_hugeLengthPrefixAtEveryOffset_isRefusedWithoutAllocating() {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        List<byte[]> prefixes = hugePrefixes();
        List<Case> cases = new ArrayList<>();
        for (Sample s : samples) {
            for (int at = 0; at < s.bytes().length; at++) {
                for (int k = 0; k < 2; k++) {
                    byte[] prefix = prefixes.get(random.nextInt(prefixes.size()));
                    boolean insert = random.nextBoolean();
                    cases.add(new Case(s.name() + (insert ? " inserted " : " overwritten ") + hex(prefix) + " at " + at,
                            splice(s.bytes(), at, prefix, insert), ""));
                }
            }
        }
        Tally tally = run("huge length prefixes", cases);
        // Overwriting a fixed-width field (a double, a long) often leaves a valid message; most are refused,
        // and the length checks themselves are what refuses the huge counts.
        assertTrue(tally.refused() > tally.cases() * 3 / 4, "most huge prefixes are refused: " + tally);
        for (String check : List.of("a string declares 2147483646 elements", "[] declares 2147483646 elements",
                "tensor shape", "a class given by name")) {
            assertTrue(tally.anyReason(check), "some refusal says '" + check + "'");
        }
    }

    @Test
    void fromBinary_randomBytes_areRefused() {
        SplittableRandom random = new SplittableRandom(SEED + 2);
        List<Integer> ids = new ArrayList<>(io.flock.actors.serialization.FlockWireIds.IDS.ids().keySet());
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            byte[] bytes = new byte[random.nextInt(1 + (i % 3 == 0 ? 4096 : 96))];
            random.nextBytes(bytes);
            if (i % 2 == 0 && bytes.length >= 2) {
                // half of them start with a registered class id, so that decoding goes past it
                int id = ids.get(random.nextInt(ids.size())) + 2; // Kryo writes registered id + 2 as the class varint
                bytes[0] = (byte) (0x80 | (id & 0x7F));
                bytes[1] = (byte) (id >>> 7);
            }
            cases.add(new Case("random " + i + " " + hex(Arrays.copyOf(bytes, Math.min(bytes.length, 12))), bytes, ""));
        }
        Tally tally = run("random bytes", cases);
        assertTrue(tally.refused() >= tally.cases() - 10, "random bytes are refused: " + tally);
    }

    @Test
    void fromBinary_wrongManifest_isRefused() {
        List<Case> cases = new ArrayList<>();
        for (Sample s : samples) {
            for (String manifest : List.of("x", "io.flock.actors.shard.ParameterShard$Push", "java.lang.Runtime", " ")) {
                cases.add(new Case(s.name() + " with manifest '" + manifest + "'", s.bytes(), manifest));
            }
        }
        Tally tally = run("wrong manifests", cases);
        assertEquals(tally.cases(), tally.refused(), "a manifest Flock never writes is refused");
    }

    @Test
    void fromBinary_recordsNestedBeyondMaxDepth_areRefused() {
        // A TrainingJob whose dataset (a DatasetSpec slot, so a class id is read) is another TrainingJob,
        // and so on: Kryo reads record components by name, checkpointEvery (a varlong) then dataset.
        // 3 bytes per level, 200k levels. Without a depth bound: a StackOverflowError.
        int jobId = registry.getRegistration(io.flock.actors.job.TrainingJob.class).getId();
        Output out = new Output(1 << 20, -1);
        for (int level = 0; level < 200_000; level++) {
            out.writeVarInt(jobId + 2, true);
            out.writeVarLong(0, false); // checkpointEvery
        }
        Tally tally = run("deep nesting", List.of(new Case("200k nested TrainingJobs", out.toBytes(), ""),
                new Case("200k nested TrainingJobs", out.toBytes(), "")));
        assertEquals(2, tally.refused());
        assertTrue(tally.anyReason("Max depth exceeded"), tally.reasons().toString());
    }

    /** Decodes every case in time-limited batches; fails with the first bad outcomes. */
    private static Tally run(String family, List<Case> cases) {
        List<String> problems = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        int[] decoded = {0};
        long start = System.nanoTime();
        for (int from = 0; from < cases.size(); from += BATCH) {
            List<Case> batch = cases.subList(from, Math.min(cases.size(), from + BATCH));
            int first = from;
            assertTimeoutPreemptively(BATCH_LIMIT, () -> {
                for (int i = 0; i < batch.size(); i++) {
                    String problem = check(batch.get(i), first + i, reasons, decoded);
                    if (problem != null && problems.size() < 20) problems.add(problem);
                }
            }, () -> family + ": a batch of " + batch.size() + " cases from #" + first + " took over " + BATCH_LIMIT);
        }
        Tally tally = new Tally(cases.size(), reasons.size(), decoded[0], reasons);
        System.out.printf("KryoFuzzTest %-22s %6d cases: %6d refused, %5d decoded, %5d ms%n", family, tally.cases(),
                tally.refused(), tally.decoded(), (System.nanoTime() - start) / 1_000_000);
        if (!problems.isEmpty()) fail(family + ": " + problems.size() + "+ bad outcomes:\n" + String.join("\n", problems));
        return tally;
    }

    /** Decodes one case (byte[] path for even, direct ByteBuffer path for odd indices); null if acceptable. */
    private static String check(Case c, int index, List<String> reasons, int[] decoded) {
        long before = allocatedBytes();
        Object result;
        try {
            result = index % 2 == 0 ? serializer.fromBinary(c.bytes(), c.manifest()) : fromDirectBuffer(c);
        } catch (NotSerializableException e) {
            String why = e.getMessage();
            if (why == null || !why.contains("Flock message") || why.endsWith(": null") || why.endsWith(": ")) {
                return c.label() + ": unclear error message '" + why + "'";
            }
            reasons.add(why);
            return checkAllocation(c, before);
        } catch (Throwable t) {
            return c.label() + ": " + t.getClass().getName() + " instead of NotSerializableException: " + t.getMessage();
        }
        String unregistered = unregisteredIn(result);
        if (!(result instanceof FlockMessage)) return c.label() + ": decoded to a non-message " + result.getClass();
        if (unregistered != null) return c.label() + ": decoded an instance of unregistered " + unregistered;
        decoded[0]++;
        return checkAllocation(c, before);
    }

    private static Object fromDirectBuffer(Case c) throws NotSerializableException {
        ByteBuffer buf = ByteBuffer.allocateDirect(c.bytes().length + 7);
        buf.put(new byte[] {1, 2, 3}).put(c.bytes()).flip().position(3); // not at offset 0, like Artery's envelope
        buf.limit(3 + c.bytes().length);
        Object o = serializer.fromBinary(buf, c.manifest());
        if (buf.position() != buf.limit()) throw new AssertionError("the buffer was not consumed");
        return o;
    }

    private static String checkAllocation(Case c, long before) {
        long allocated = allocatedBytes() - before;
        long allowed = ALLOCATION_SLACK + 16L * c.bytes().length;
        return allocated <= allowed ? null : c.label() + ": decoding allocated " + allocated + " bytes of heap";
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** The first class in {@code o}'s graph (records, arrays) that the wire registry does not know; null if none. */
    private static String unregisteredIn(Object o) {
        if (o == null || o instanceof INDArray || o instanceof org.apache.pekko.actor.typed.ActorRef<?>) return null;
        Class<?> c = o.getClass();
        if (c == String.class || c.isEnum() || c.isArray() && c.getComponentType().isPrimitive()) {
            return registry.getClassResolver().getRegistration(c) == null ? c.getName() : null;
        }
        if (registry.getClassResolver().getRegistration(c) == null) return c.getName();
        if (c.isArray()) {
            for (int i = 0; i < Array.getLength(o); i++) {
                String inner = unregisteredIn(Array.get(o, i));
                if (inner != null) return inner;
            }
        } else if (c.isRecord()) {
            for (var component : c.getRecordComponents()) {
                if (component.getType().isPrimitive()) continue;
                try {
                    String inner = unregisteredIn(component.getAccessor().invoke(o));
                    if (inner != null) return inner;
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return null;
    }

    /** Huge counts in each of Kryo's length encodings: varint, flagged varint (strings), varlong, fixed int. */
    private static List<byte[]> hugePrefixes() {
        List<byte[]> out = new ArrayList<>();
        for (int n : HUGE) {
            Output o = new Output(16);
            o.writeVarInt(n, true);
            out.add(o.toBytes());
            o = new Output(16);
            o.writeVarIntFlag(true, n, true);
            out.add(o.toBytes());
            o = new Output(16);
            o.writeVarIntFlag(false, n, true);
            out.add(o.toBytes());
            o = new Output(16);
            o.writeVarLong(n, true);
            o.writeVarLong((long) n * n, true);
            out.add(o.toBytes());
            o = new Output(16);
            o.writeInt(n);
            out.add(o.toBytes());
        }
        return out;
    }

    private static byte[] splice(byte[] bytes, int at, byte[] prefix, boolean insert) {
        if (insert) {
            byte[] out = new byte[bytes.length + prefix.length];
            System.arraycopy(bytes, 0, out, 0, at);
            System.arraycopy(prefix, 0, out, at, prefix.length);
            System.arraycopy(bytes, at, out, at + prefix.length, bytes.length - at);
            return out;
        }
        byte[] out = Arrays.copyOf(bytes, Math.max(bytes.length, at + prefix.length));
        System.arraycopy(prefix, 0, out, at, prefix.length);
        return out;
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) sb.append(String.format("%02x", b));
        return sb.toString();
    }
}
