package io.flock.launcher;

import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.FlockConfig;
import io.flock.actors.bench.CollectiveBench;
import io.flock.strategies.MicroBatchBlocks;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One process of {@code flock bench allreduce} / {@code bench ps}: a plain JVM (no cluster) that
 * the benchmark drives over stdin/stdout, one command per line, answers prefixed with {@code @@}.
 * It holds a data-plane endpoint, a plain TCP sink for the loopback baseline and, on request, a
 * Pekko ActorSystem with Flock's Kryo serializer for the Artery comparison. Timings are taken
 * here, around back-to-back operations, so that process start-up and pipes are not measured.
 */
public final class BenchWorker {

    static final String ANSWER = "@@ ";

    private final PrintStream out;
    private final CollectiveBench endpoint;
    private final ServerSocketChannel tcpSink;
    private ActorSystem<Object> artery;
    private final AtomicReference<CompletableFuture<Void>> arteryAck = new AtomicReference<>();
    private final java.util.Map<String, INDArray> vectors = new java.util.HashMap<>();

    private BenchWorker(PrintStream out, int chunk, int socketBuffer) throws IOException {
        this.out = out;
        this.endpoint = CollectiveBench.start("127.0.0.1", chunk, socketBuffer);
        this.tcpSink = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        Thread sink = new Thread(this::serveTcp, "tcp-sink");
        sink.setDaemon(true);
        sink.start();
    }

    /** args: chunk size in floats (the data plane's frame size), socket buffer bytes (0 = the OS default). */
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        int chunk = args.length > 0 ? Integer.parseInt(args[0]) : CollectiveBench.defaultChunkSize();
        BenchWorker w = new BenchWorker(out, chunk, args.length > 1 ? Integer.parseInt(args[1]) : 0);
        Nd4j.create(DataType.FLOAT, 1); // ND4J's start-up outside any measurement
        out.println(ANSWER + "READY " + w.endpoint.port() + " " + ((InetSocketAddress) w.tcpSink.getLocalAddress()).getPort());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] a = line.trim().split(" ");
            try {
                switch (a[0]) {
                    case "RING", "TREE" -> w.allReduce(a);
                    case "TCPSEND" -> w.tcpSend(Integer.parseInt(a[1]), Long.parseLong(a[2]), Integer.parseInt(a[3]), Long.parseLong(a[4]));
                    case "ARTERY" -> out.println(ANSWER + "ARTERY " + w.startArtery());
                    case "ARTERYSEND" -> w.arterySend(a[1], Long.parseLong(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4]));
                    case "QUIT" -> {
                        w.close();
                        return;
                    }
                    default -> out.println(ANSWER + "ERROR unknown command " + a[0]);
                }
            } catch (Exception e) {
                out.println(ANSWER + "ERROR " + e.toString().replace('\n', ' '));
            }
        }
        w.close();
    }

    /**
     * {@code RING|TREE jobId rank length microBatches chunk iterations host:port,... reuse|new}:
     * runs {@code iterations} collectives back to back (steps 0..), contributing this rank's
     * micro-batches (fixed random gradients), the mean written into one reused vector or a new one
     * per collective; answers seconds for all of them and bytes sent per one.
     */
    private void allReduce(String[] a) throws Exception {
        boolean tree = a[0].equals("TREE");
        String jobId = a[1];
        int rank = Integer.parseInt(a[2]);
        long length = Long.parseLong(a[3]);
        int microBatches = Integer.parseInt(a[4]);
        int chunk = Integer.parseInt(a[5]);
        int iterations = Integer.parseInt(a[6]);
        List<InetSocketAddress> members = new ArrayList<>();
        for (String m : a[7].split(",")) {
            int colon = m.lastIndexOf(':');
            members.add(new InetSocketAddress(m.substring(0, colon), Integer.parseInt(m.substring(colon + 1))));
        }
        MicroBatchBlocks blocks = new MicroBatchBlocks(members.size(), microBatches);
        List<INDArray> mine = new ArrayList<>();
        for (int m = blocks.first(rank); m < blocks.end(rank); m++) mine.add(vector("gradient-" + (m - blocks.first(rank)), length));
        INDArray into = a.length > 8 && a[8].equals("reuse") ? vector("result", length) : null;
        CollectiveBench.Timing t = endpoint.allReduce(tree, jobId, rank, members, length, microBatches, chunk, iterations,
                blocks.first(rank), mine, into);
        // ND4J frees native memory when the Java objects are collected, and this loop makes little
        // Java garbage: collect between measurements, or new result vectors pile up (GBs).
        System.gc();
        out.println(ANSWER + "DONE " + t.seconds() + " " + t.bytesSent());
    }

    /** A vector of {@code length} random values kept for later commands of the same size (already touched). */
    private INDArray vector(String name, long length) {
        return vectors.computeIfAbsent(name + "/" + length, k -> Nd4j.rand(DataType.FLOAT, length));
    }

    /**
     * The loopback baseline's receiving side: per connection, a message size and a buffer size,
     * then messages read into that (reused, already touched) buffer and acknowledged by one byte each.
     */
    private void serveTcp() {
        while (true) {
            try (SocketChannel c = tcpSink.accept()) {
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ByteBuffer size = ByteBuffer.allocate(16);
                while (size.hasRemaining()) if (c.read(size) < 0) throw new IOException("closed");
                long message = size.flip().getLong();
                ByteBuffer buffer = ByteBuffer.allocateDirect(Math.toIntExact(Math.min(message, size.getLong())));
                ByteBuffer ack = ByteBuffer.allocate(1);
                while (true) {
                    long left = message;
                    while (left > 0) {
                        buffer.clear().limit((int) Math.min(buffer.capacity(), left));
                        int n = c.read(buffer);
                        if (n < 0) throw new IOException("closed");
                        left -= n;
                    }
                    c.write(ack.clear());
                }
            } catch (IOException e) {
                if (!tcpSink.isOpen()) return;
            }
        }
    }

    /**
     * {@code TCPSEND port bytes iterations sinkBuffer}: writes {@code bytes} from one direct buffer
     * into a sink that reads them into a buffer of {@code sinkBuffer} bytes, waits for the ack, repeats.
     */
    private void tcpSend(int port, long bytes, int iterations, long sinkBuffer) throws IOException {
        try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer hello = ByteBuffer.allocate(16).putLong(bytes).putLong(sinkBuffer).flip();
            while (hello.hasRemaining()) c.write(hello);
            ByteBuffer data = ByteBuffer.allocateDirect(Math.toIntExact(bytes));
            ByteBuffer ack = ByteBuffer.allocate(1);
            long start = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                data.clear();
                while (data.hasRemaining()) c.write(data);
                ack.clear();
                if (c.read(ack) < 0) throw new IOException("sink closed");
            }
            out.println(ANSWER + "DONE " + (System.nanoTime() - start) / 1e9 + " " + bytes);
        }
    }

    /** {@code ARTERY}: starts an ActorSystem (remote provider, Flock's Kryo serializer for INDArray) with a sink actor. */
    private int startArtery() {
        if (artery == null) {
            artery = ActorSystem.create(Behaviors.setup(ctx -> {
                ctx.spawn(sink(), "sink");
                return Behaviors.empty();
            }), "bench", FlockConfig.load(ConfigFactory.parseString("""
                    pekko.actor.provider = remote
                    pekko.remote.artery.canonical.hostname = "127.0.0.1"
                    pekko.remote.artery.canonical.port = 0
                    pekko.actor.serialization-bindings { "org.nd4j.linalg.api.ndarray.INDArray" = flock-kryo }
                    pekko.loglevel = WARNING
                    flock.metrics.enabled = off
                    """)));
        }
        return artery.address().getPort().get();
    }

    /**
     * The sink: "expect BYTES ACK-PATH" arms it; INDArray messages are counted and once BYTES have
     * arrived the ack path gets "ack". The same actor takes "ack" on the sending side.
     */
    private Behavior<Object> sink() {
        return Behaviors.setup(ctx -> {
            long[] expected = {0, 0};
            AtomicReference<ActorRef<Object>> ackTo = new AtomicReference<>();
            return Behaviors.receiveMessage(msg -> {
                if (msg instanceof INDArray part) {
                    expected[1] += part.length() * Float.BYTES;
                    if (expected[1] >= expected[0]) {
                        expected[1] = 0;
                        ackTo.get().tell("ack");
                    }
                } else if (msg instanceof String s && s.startsWith("expect ")) {
                    String[] p = s.split(" ");
                    expected[0] = Long.parseLong(p[1]);
                    expected[1] = 0;
                    ackTo.set(ActorRefResolver.get(ctx.getSystem()).resolveActorRef(p[2]));
                    ackTo.get().tell("ack");
                } else if ("ack".equals(msg)) {
                    CompletableFuture<Void> f = arteryAck.getAndSet(null);
                    if (f != null) f.complete(null);
                }
                return Behaviors.same();
            });
        });
    }

    /**
     * {@code ARTERYSEND port bytes messageFloats iterations}: sends a vector of {@code bytes} as
     * float32 INDArray messages of {@code messageFloats} values to the sink on {@code port}, waits
     * for its ack, repeats.
     */
    private void arterySend(String port, long bytes, int messageFloats, int iterations) throws Exception {
        startArtery();
        ActorRefResolver resolver = ActorRefResolver.get(artery);
        ActorRef<Object> remote = resolver.resolveActorRef("pekko://bench@127.0.0.1:" + port + "/user/sink");
        String self = resolver.toSerializationFormat(resolver.resolveActorRef(
                "pekko://bench@127.0.0.1:" + artery.address().getPort().get() + "/user/sink"));
        awaitAck(() -> remote.tell("expect " + bytes + " " + self));
        long length = bytes / Float.BYTES;
        INDArray vector = Nd4j.rand(DataType.FLOAT, length);
        List<INDArray> parts = new ArrayList<>();
        for (long from = 0; from < length; from += messageFloats) {
            parts.add(vector.get(NDArrayIndex.interval(from, Math.min(length, from + messageFloats))).dup());
        }
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) awaitAck(() -> parts.forEach(remote::tell));
        double seconds = (System.nanoTime() - start) / 1e9;
        System.gc();
        out.println(ANSWER + "DONE " + seconds + " " + bytes);
    }

    private void awaitAck(Runnable send) throws Exception {
        CompletableFuture<Void> ack = new CompletableFuture<>();
        arteryAck.set(ack);
        send.run();
        ack.get(120, TimeUnit.SECONDS);
    }

    private void close() throws IOException {
        endpoint.close();
        tcpSink.close();
        if (artery != null) {
            artery.terminate();
            try {
                artery.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                // exiting anyway
            }
        }
    }
}
