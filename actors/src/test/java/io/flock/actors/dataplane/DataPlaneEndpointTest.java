package io.flock.actors.dataplane;

import static io.flock.actors.dataplane.Collectives.await;
import static io.flock.actors.dataplane.Collectives.awaitCondition;
import static io.flock.actors.dataplane.Collectives.gradients;
import static io.flock.actors.dataplane.Collectives.leftFold;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.actors.dataplane.CollectiveSpec.Kind;
import io.flock.strategies.MicroBatchBlocks;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Data-plane endpoints in one JVM over 127.0.0.1: results, buffering, aborts, failures, garbage. */
class DataPlaneEndpointTest {

    static final int LENGTH = 1_000; // 16 chunks of 64, the last one partial
    static final int CHUNK = 64;

    static Stream<Arguments> memberships() {
        List<Arguments> out = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (int n = 2; n <= 4; n++) {
                for (int m : new TreeSet<>(List.of(1, n - 1, n, 2 * n + 1))) out.add(Arguments.of(kind, n, m));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} N={1} M={2}")
    @MethodSource("memberships")
    void allReduce_anyMembershipAndMicroBatches_isBitIdenticalToPureStateMachineAndLeftFold(Kind kind, int n, int m)
            throws Exception {
        List<INDArray> grads = gradients(m, LENGTH, 100L * n + m);
        List<float[]> pure = kind == Kind.RING ? Collectives.pureRing(n, CHUNK, grads) : Collectives.pureTree(n, grads);
        float[] fold = leftFold(grads);
        try (Collectives c = new Collectives(n, Collectives.SMALL)) {
            List<CollectiveSession> sessions = c.run("job", 1, 5, kind, grads, CHUNK, n * 31L + m);
            for (int r = 0; r < n; r++) {
                INDArray result = await(sessions.get(r));
                assertEquals(1, result.rank());
                assertArrayEquals(pure.get(r), result.toFloatVector(), "rank " + r + " vs the pure state machine");
                assertArrayEquals(fold, result.toFloatVector(), "rank " + r + " vs the left fold");
                assertTrue(sessions.get(r).seconds() > 0);
            }
            long sent = sessions.stream().mapToLong(CollectiveSession::bytesSent).sum();
            assertTrue(sent >= (long) LENGTH * Float.BYTES * (n - 1), "bytes sent " + sent);
            assertEquals(0, c.endpoints.stream().mapToInt(DataPlaneEndpoint::openSessions).sum(), "sessions forgotten");
        }
    }

    @Test
    void allReduce_consecutiveStepsAndViewsAsGradients_shareConnections() throws Exception {
        try (Collectives c = new Collectives(3, Collectives.SMALL)) {
            for (int step = 0; step < 5; step++) {
                // Rows of a matrix: rank-1 views with an offset into a larger buffer.
                INDArray matrix = Nd4j.rand(DataType.FLOAT, 7, LENGTH).subi(0.5);
                List<INDArray> grads = List.of(matrix.getRow(1), matrix.getRow(6), matrix.getRow(3), matrix.getRow(0));
                Kind kind = step % 2 == 0 ? Kind.RING : Kind.TREE;
                List<CollectiveSession> sessions = c.run("steps", 0, step, kind, grads, CHUNK, step);
                for (CollectiveSession s : sessions) assertArrayEquals(leftFold(grads), await(s).toFloatVector(), kind + " step " + step);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void open_intoAReusedVector_writesTheMeanThereEveryStep(Kind kind) throws Exception {
        try (Collectives c = new Collectives(3, Collectives.SMALL)) {
            List<INDArray> into = List.of(Nd4j.create(DataType.FLOAT, LENGTH), Nd4j.create(DataType.FLOAT, LENGTH),
                    Nd4j.create(DataType.FLOAT, LENGTH));
            for (int step = 0; step < 3; step++) {
                List<INDArray> grads = gradients(4, LENGTH, 40 + step);
                List<CollectiveSession> sessions = new ArrayList<>();
                for (int r = 0; r < 3; r++) {
                    sessions.add(c.endpoints.get(r).open(c.spec("into", 0, step, kind, r, LENGTH, 4, CHUNK), into.get(r)));
                }
                c.contribute(sessions, grads, step);
                for (int r = 0; r < 3; r++) {
                    assertTrue(await(sessions.get(r)) == into.get(r), "completes with the given vector");
                    assertArrayEquals(leftFold(grads), into.get(r).toFloatVector(), kind + " step " + step + " rank " + r);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> c.endpoints.get(0).open(
                    c.spec("into", 1, 0, kind, 0, LENGTH, 4, CHUNK), Nd4j.create(DataType.FLOAT, LENGTH + 1)));
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void open_afterPeersAlreadySent_deliversBufferedFrames(Kind kind) throws Exception {
        List<INDArray> grads = gradients(3, LENGTH, 7);
        // Ring: rank 0 starts the running sums. Tree: rank 1 (a leaf, micro-batches 1 and 2) sends them up.
        int eager = kind == Kind.RING ? 0 : 1;
        long earlyBytes = (long) LENGTH * Float.BYTES * (kind == Kind.RING ? 1 : 2);
        try (Collectives c = new Collectives(2, Collectives.SMALL)) {
            MicroBatchBlocks blocks = new MicroBatchBlocks(2, 3);
            CollectiveSession first = c.endpoints.get(eager).open(c.spec("early", 3, 9, kind, eager, LENGTH, 3, CHUNK));
            for (int m = blocks.first(eager); m < blocks.end(eager); m++) first.contribute(m, grads.get(m));
            DataPlaneEndpoint late = c.endpoints.get(1 - eager);
            awaitCondition("frames held at the late rank", Duration.ofSeconds(20), () -> late.bufferedBytes() == earlyBytes);

            CollectiveSession second = late.open(c.spec("early", 3, 9, kind, 1 - eager, LENGTH, 3, CHUNK));
            assertEquals(0, late.bufferedBytes(), "handed to the session");
            for (int m = blocks.first(1 - eager); m < blocks.end(1 - eager); m++) second.contribute(m, grads.get(m));

            assertArrayEquals(leftFold(grads), await(first).toFloatVector());
            assertArrayEquals(leftFold(grads), await(second).toFloatVector());
        }
    }

    static Stream<Kind> kinds() {
        return Stream.of(Kind.values());
    }

    @Test
    void abortBefore_failsOpenSessionsDropsBufferedAndLaterFrames_newEpochStillWorks() throws Exception {
        List<INDArray> grads = gradients(2, LENGTH, 11);
        try (Collectives c = new Collectives(2, Collectives.SMALL)) {
            DataPlaneEndpoint a = c.endpoints.get(0);
            DataPlaneEndpoint b = c.endpoints.get(1);
            CollectiveSession waiting = a.open(c.spec("job", 4, 0, Kind.RING, 0, LENGTH, 2, CHUNK));
            CollectiveSession otherJob = a.open(c.spec("other", 4, 0, Kind.RING, 0, LENGTH, 2, CHUNK));
            waiting.contribute(0, grads.get(0)); // its sums wait at b, which has not opened epoch 4
            awaitCondition("frames held at b", Duration.ofSeconds(20), () -> b.bufferedBytes() > 0);

            a.abortBefore("job", 5, "membership changed");
            b.abortBefore("job", 5, "membership changed");

            ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.result().get(10, TimeUnit.SECONDS));
            CollectiveException ce = assertInstanceOf(CollectiveException.class, e.getCause());
            assertEquals("aborted: membership changed", ce.getMessage());
            assertEquals(CollectiveException.Reason.ABORTED, ce.reason());
            assertEquals(0, b.bufferedBytes(), "held frames of epoch 4 dropped");
            assertFalse(otherJob.result().isDone(), "another job is not touched");
            CollectiveSession stale = b.open(c.spec("job", 4, 0, Kind.RING, 1, LENGTH, 2, CHUNK));
            assertThrows(ExecutionException.class, () -> stale.result().get(10, TimeUnit.SECONDS), "epoch 4 is over");

            List<CollectiveSession> next = c.run("job", 5, 0, Kind.RING, grads, CHUNK, 1);
            for (CollectiveSession s : next) assertArrayEquals(leftFold(grads), await(s).toFloatVector());

            a.abortBefore("other", Long.MAX_VALUE, "job over");
            assertThrows(ExecutionException.class, () -> otherJob.result().get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void peerClosingMidStep_failsOnlySessionsWaitingForIt_namingThePeer() throws Exception {
        List<INDArray> grads = gradients(2, LENGTH, 13);
        try (Collectives c = new Collectives(3, Collectives.SMALL)) {
            DataPlaneEndpoint a = c.endpoints.get(0);
            DataPlaneEndpoint b = c.endpoints.get(1);
            DataPlaneEndpoint bystander = c.endpoints.get(2);
            List<InetSocketAddress> ab = List.of(a.address(), b.address());
            List<InetSocketAddress> ac = List.of(a.address(), bystander.address());
            CollectiveSession atA = a.open(new CollectiveSpec("job", 0, 0, Kind.RING, ab, 0, LENGTH, 2, CHUNK));
            CollectiveSession atB = b.open(new CollectiveSpec("job", 0, 0, Kind.RING, ab, 1, LENGTH, 2, CHUNK));
            atA.contribute(0, grads.get(0));
            awaitCondition("b connected to a", Duration.ofSeconds(20), () -> a.openSessions() == 1 && atB.bytesSent() == 0
                    && connectedFrom(a, b));
            b.close(); // mid-step: b never contributes micro-batch 1

            ExecutionException e = assertThrows(ExecutionException.class, () -> atA.result().get(20, TimeUnit.SECONDS));
            CollectiveException ce = assertInstanceOf(CollectiveException.class, e.getCause());
            assertEquals(b.address(), ce.peer());
            assertTrue(ce.getMessage().contains(b.address().toString()), ce.getMessage());
            assertEquals(CollectiveException.Reason.CONNECTION_LOST, ce.reason());

            // A collective that does not involve b goes on over the same endpoint.
            CollectiveSession x = a.open(new CollectiveSpec("job2", 0, 0, Kind.RING, ac, 0, LENGTH, 2, CHUNK));
            CollectiveSession y = bystander.open(new CollectiveSpec("job2", 0, 0, Kind.RING, ac, 1, LENGTH, 2, CHUNK));
            x.contribute(0, grads.get(0));
            y.contribute(1, grads.get(1));
            assertArrayEquals(leftFold(grads), await(x).toFloatVector());
        }
    }

    /** True once {@code to} holds a connection whose HELLO named {@code from} (b's eager connect at open). */
    private static boolean connectedFrom(DataPlaneEndpoint to, DataPlaneEndpoint from) {
        return to.inboundPeers().contains(from.address());
    }

    @Test
    void peerRefusingConnections_failsSessionNamingIt() throws Exception {
        List<INDArray> grads = gradients(2, LENGTH, 17);
        try (Collectives c = new Collectives(2, Collectives.SMALL)) {
            InetSocketAddress gone = c.endpoints.get(1).address();
            c.endpoints.get(1).close();
            CollectiveSession s = c.endpoints.get(0).open(c.spec("job", 0, 0, Kind.RING, 0, LENGTH, 2, CHUNK));
            s.contribute(0, grads.get(0));

            ExecutionException e = assertThrows(ExecutionException.class, () -> s.result().get(20, TimeUnit.SECONDS));
            CollectiveException ce = assertInstanceOf(CollectiveException.class, e.getCause());
            assertEquals(CollectiveException.Reason.CONNECT_FAILED, ce.reason());
            assertEquals(gone, ce.peer());
            assertTrue(ce.getMessage().contains("cannot connect to peer " + gone), ce.getMessage());
        }
    }

    @Test
    void garbageOversizedAndTruncatedFrames_closeTheirConnections_whileACollectiveCompletes() throws Exception {
        List<INDArray> grads = gradients(2, LENGTH, 19);
        try (Collectives c = new Collectives(2, Collectives.SMALL)) {
            DataPlaneEndpoint a = c.endpoints.get(0);
            CollectiveSession atA = a.open(c.spec("job", 0, 0, Kind.RING, 0, LENGTH, 2, CHUNK));
            CollectiveSession atB = c.endpoints.get(1).open(c.spec("job", 0, 0, Kind.RING, 1, LENGTH, 2, CHUNK));
            atA.contribute(0, grads.get(0));

            byte[] random = new byte[4096];
            new Random(1).nextBytes(random);
            assertClosedByServer(a, random);
            assertClosedByServer(a, concat(hello("10.9.9.9", 4000), header("job", 0, 0, 1L << 40, 1 << 30, 1 << 30)));
            ByteBuffer half = ByteBuffer.allocate(CHUNK * Float.BYTES / 2);
            assertClosedByServer(a, concat(hello("10.9.9.9", 4000), header("someone-else", 0, 0, LENGTH, CHUNK, CHUNK), half.array()));
            assertEquals(3, a.rejectedConnections());
            assertEquals(0, a.bufferedBytes(), "the truncated frame's reservation is released");

            atB.contribute(1, grads.get(1));
            assertArrayEquals(leftFold(grads), await(atA).toFloatVector());
            assertArrayEquals(leftFold(grads), await(atB).toFloatVector());
        }
    }

    @Test
    void silentConnection_isClosedAfterConnectTimeout() throws Exception {
        DataPlaneSettings quick = new DataPlaneSettings(0, CHUNK, Duration.ofMillis(300), 64 * 1024, 1 << 20, 0);
        try (Collectives c = new Collectives(1, quick); Socket s = new Socket("127.0.0.1", c.endpoints.get(0).address().getPort())) {
            s.setSoTimeout(20_000);
            assertEquals(-1, s.getInputStream().read(), "closed without a HELLO");
            assertEquals(1, c.endpoints.get(0).rejectedConnections());
        }
    }

    @Test
    void frameFromAnAddressThatIsNotTheSendingRank_failsTheSessionAsGarbage() throws Exception {
        try (Collectives c = new Collectives(2, Collectives.SMALL)) {
            DataPlaneEndpoint b = c.endpoints.get(1);
            CollectiveSession atB = b.open(c.spec("job", 0, 0, Kind.RING, 1, LENGTH, 2, CHUNK));
            byte[] values = new byte[CHUNK * Float.BYTES];
            try (Socket s = new Socket("127.0.0.1", b.address().getPort())) {
                s.getOutputStream().write(concat(hello("10.9.9.9", 4000), header("job", 0, 0, LENGTH, CHUNK, CHUNK), values));
                ExecutionException e = assertThrows(ExecutionException.class, () -> atB.result().get(20, TimeUnit.SECONDS));
                CollectiveException ce = assertInstanceOf(CollectiveException.class, e.getCause());
                assertEquals(CollectiveException.Reason.GARBAGE, ce.reason());
                assertTrue(ce.getMessage().contains("10.9.9.9:4000"), ce.getMessage());
            }
        }
    }

    @Test
    void open_wrongAddressOrOversizedChunk_isRefused() throws Exception {
        try (Collectives c = new Collectives(2, Collectives.SMALL)) {
            assertThrows(IllegalArgumentException.class,
                    () -> c.endpoints.get(0).open(c.spec("job", 0, 0, Kind.RING, 1, LENGTH, 2, CHUNK)));
            assertThrows(IllegalArgumentException.class,
                    () -> c.endpoints.get(0).open(c.spec("job", 0, 0, Kind.RING, 0, 1 << 20, 2, 1 << 20)));
            CollectiveSession s = c.endpoints.get(0).open(c.spec("job", 0, 0, Kind.RING, 0, LENGTH, 2, CHUNK));
            assertThrows(IllegalStateException.class, () -> c.endpoints.get(0).open(c.spec("job", 0, 0, Kind.RING, 0, LENGTH, 2, CHUNK)));
            assertThrows(IllegalArgumentException.class, () -> s.contribute(1, Nd4j.zeros(DataType.FLOAT, LENGTH)), "rank 1's");
            assertThrows(IllegalArgumentException.class, () -> s.contribute(0, Nd4j.zeros(DataType.DOUBLE, LENGTH)));
            assertThrows(IllegalArgumentException.class, () -> s.contribute(0, Nd4j.zeros(DataType.FLOAT, LENGTH + 1)));
        }
    }

    @Test
    void singleMember_needsNoNetwork() throws Exception {
        List<INDArray> grads = gradients(3, LENGTH, 23);
        try (Collectives c = new Collectives(1, Collectives.SMALL)) {
            for (Kind kind : Kind.values()) {
                List<CollectiveSession> s = c.run("solo", 0, kind.ordinal(), kind, grads, CHUNK, 1);
                assertArrayEquals(leftFold(grads), await(s.get(0)).toFloatVector());
                assertEquals(0, s.get(0).bytesSent());
            }
        }
    }

    /** Writes {@code bytes} to the endpoint and expects it to close the connection (read returns -1). */
    private static void assertClosedByServer(DataPlaneEndpoint endpoint, byte[] bytes) throws IOException {
        try (Socket s = new Socket("127.0.0.1", endpoint.address().getPort())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            try {
                assertEquals(-1, in.read(), "the endpoint closes the connection");
            } catch (java.net.SocketException reset) {
                // closed with our bytes unread: a reset, which is a close too
                assertTrue(reset.getMessage().contains("reset"), reset.getMessage());
            }
        }
    }

    static byte[] hello(String host, int port) {
        ByteBuffer b = Frame.hello(host, port);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    static byte[] header(String job, long epoch, int from, long length, int chunkSize, int count) {
        ByteBuffer b = Frame.encode(new Frame.Header(Frame.Type.RING_REDUCE, job, epoch, 0, length, chunkSize, 2, 2, from,
                1 - from, -1, 0, count));
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    static byte[] concat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(Stream.of(parts).mapToInt(p -> p.length).sum()).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] p : parts) b.put(p);
        return b.array();
    }
}
