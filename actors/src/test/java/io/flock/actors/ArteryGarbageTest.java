package io.flock.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.FlockNode;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.wire.RawArtery;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Raw TCP garbage on every node's Artery port while a job trains: random bytes, and Artery's
 * TCP framing ("PEKK"/"AKKA" magic, a stream id, little-endian frame lengths) cut off
 * mid-frame, longer than allowed, or carrying garbage envelopes. Pekko may log and drop each
 * connection; what counts is the outcome: every node stays Up, no worker drops out, and the job
 * ends on the fault-free trajectory. Frame lengths are never negative or near 2^31 here: Pekko
 * 1.7.0 does not survive those on plain TCP (the disabled test; Artery TLS keeps them out).
 */
class ArteryGarbageTest {

    static final long STEPS = 80;
    static final byte[][] MAGICS = {RawArtery.PEKKO_MAGIC, RawArtery.AKKA_MAGIC};
    /** pekko.remote.artery.advanced.maximum-large-frame-size in Flock's defaults. */
    static final int MAX_LARGE_FRAME = 64 << 20;
    /** Artery's stream ids: control, ordinary, large messages; and one that does not exist. */
    static final int[] STREAM_IDS = {1, 2, 3, 9};

    LocalCluster cluster;
    final List<TrainingEvent> events = new CopyOnWriteArrayList<>();
    final SplittableRandom random = new SplittableRandom(0xBAD_5EEDL);

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    @Test
    void garbageAndTruncatedFramesOnArteryPorts_nodesStayUpAndJobCompletes() throws Exception {
        cluster = LocalCluster.start(3, 1, ConfigFactory.empty());
        var drops = new RawArtery.DropCounter();
        var handle = TestJobs.submitUntil(cluster, 0, TestJobs.job("garbage", STEPS, 1, 3, 2), 3, events);

        List<String> attacks = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (FlockNode node : cluster.nodes()) attacks.addAll(attack(node.address().getPort().get()));
        }
        long stepWhenDone = lastStep();

        TestJobs.assertOnReferenceTrajectory(TestJobs.await(handle, events), events, 0, STEPS);
        drops.close();
        // At most one drop per garbage envelope sent (2 per magic and stream); a frame re-read in a loop makes 100k/s.
        assertTrue(drops.drops() <= attacks.size(), drops.drops() + " envelopes dropped for " + attacks.size() + " connections");
        assertTrue(stepWhenDone < STEPS - 1, "the attacks (" + attacks.size() + " connections) ran while the job trained,"
                + " which was at step " + stepWhenDone + " when they ended");
        assertFalse(events.stream().anyMatch(TrainingEvent.Failed.class::isInstance), events.toString());
        assertTrue(TestJobs.eventsOf(events, TrainingEvent.MembershipChanged.class).stream().allMatch(m -> m.workers() == 3),
                "no worker dropped out: " + events);
        for (FlockNode node : cluster.nodes()) {
            var state = Cluster.get(node.system()).state();
            assertEquals(MemberStatus.up(), Cluster.get(node.system()).selfMember().status(), node.address().toString());
            assertEquals(3, count(state.getMembers(), m -> m.status() == MemberStatus.up()), node.address() + " sees 3 Up");
            assertFalse(state.getUnreachable().iterator().hasNext(), node.address() + " sees no one unreachable");
            assertFalse(node.system().getWhenTerminated().toCompletableFuture().isDone(), node.address() + " is running");
        }
    }

    @Test
    @Disabled("Pekko 1.7.0 bug: a negative Artery TCP frame length livelocks the node's inbound stream "
            + "(RawArtery.negativeFrameLength); fixed by apache/pekko#3525, unreleased. Enable with the Pekko that has it; "
            + "until then use Artery TLS (ArteryTlsTest shows it keeps these bytes out)")
    void negativeFrameLengthOnArteryPort_nodeStaysUpAndJobCompletes() throws Exception {
        cluster = LocalCluster.start(3, 1, ConfigFactory.empty());
        try (var drops = new RawArtery.DropCounter()) {
            var handle = TestJobs.submitUntil(cluster, 0, TestJobs.job("negative", STEPS, 1, 3, 2), 3, events);
            RawArtery.send(cluster.node(1).address().getPort().get(), RawArtery.negativeFrameLength(), false);

            TestJobs.assertOnReferenceTrajectory(TestJobs.await(handle, events), events, 0, STEPS);
            assertTrue(drops.drops() < 100, drops.drops() + " envelopes dropped: the bad frame was re-read");
        }
    }

    /** One connection per kind of garbage against {@code port}; returns what was sent. */
    private List<String> attack(int port) throws IOException {
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            byte[] bytes = randomBytes(1 + random.nextInt(64 << 10));
            send(port, bytes);
            sent.add(bytes.length + " random bytes");
        }
        for (byte[] magic : MAGICS) {
            for (int stream : STREAM_IDS) {
                byte[] header = RawArtery.concat(magic, new byte[] {(byte) stream});
                int length = 64 + random.nextInt(4096);
                send(port, RawArtery.concat(header, RawArtery.le(length), randomBytes(random.nextInt(length))));
                sent.add("truncated frame of " + length + " bytes on stream " + stream);
                send(port, RawArtery.concat(header, RawArtery.le(length), randomBytes(length),
                        RawArtery.le(length), randomBytes(length)));
                sent.add("two garbage envelopes of " + length + " bytes on stream " + stream);
                send(port, RawArtery.concat(header, RawArtery.le(MAX_LARGE_FRAME + 1), randomBytes(1024)));
                sent.add("frame longer than the largest allowed on stream " + stream);
                send(port, RawArtery.concat(header, randomBytes(2)));
                sent.add("half a length on stream " + stream);
            }
            send(port, new byte[] {magic[0], magic[1]});
            sent.add("half a magic");
        }
        return sent;
    }

    /** Writes {@code bytes} on a fresh connection; half of the connections end with a RST, not a FIN. */
    private void send(int port, byte[] bytes) throws IOException {
        RawArtery.send(port, bytes, random.nextBoolean());
    }

    private long lastStep() {
        return TestJobs.eventsOf(events, TrainingEvent.StepCompleted.class).stream()
                .mapToLong(TrainingEvent.StepCompleted::step).max().orElse(-1);
    }

    private byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    private static <T> long count(Iterable<T> items, java.util.function.Predicate<T> test) {
        long n = 0;
        for (T item : items) if (test.test(item)) n++;
        return n;
    }
}
