package io.flock.chaos.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The proxy on real sockets on 127.0.0.1: an echo server stands for node "b", the test's sockets
 * for processes "a" and "c" (named by their local port, bound before connecting).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChaosNetworkTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final Map<Integer, String> names = new ConcurrentHashMap<>();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final ChaosNetwork network = new ChaosNetwork((port, dest) -> Optional.ofNullable(names.get(port)), log::add);
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ChaosNetwork.Link ab = new ChaosNetwork.Link("a", "b");

    @AfterEach
    void close() throws Exception {
        network.close();
        for (AutoCloseable r : resources) r.close();
    }

    /** A server that echoes every byte on every connection, one thread per connection. */
    private int echoServer() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
        resources.add(server);
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    resources.add(s);
                    Thread echo = new Thread(() -> {
                        try {
                            s.getInputStream().transferTo(s.getOutputStream());
                            s.shutdownOutput();
                        } catch (IOException closed) {
                            // the proxy cut it
                        }
                    });
                    echo.setDaemon(true);
                    echo.start();
                } catch (IOException closed) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return server.getLocalPort();
    }

    /** A socket of process {@code name} connected to {@code port}, 10 s read timeout. */
    private Socket connectAs(String name, int port) throws IOException {
        Socket s = new Socket();
        resources.add(s);
        s.bind(new InetSocketAddress(LOOPBACK, 0));
        names.put(s.getLocalPort(), name);
        s.connect(new InetSocketAddress(LOOPBACK, port));
        s.setSoTimeout(10_000);
        return s;
    }

    /** Sends {@code data} from a second thread and reads as many bytes back. */
    private static byte[] roundTrip(Socket s, byte[] data) throws Exception {
        Thread writer = new Thread(() -> {
            try {
                s.getOutputStream().write(data);
                s.getOutputStream().flush();
            } catch (IOException e) {
                // the reader fails too
            }
        });
        writer.start();
        byte[] back = s.getInputStream().readNBytes(data.length);
        writer.join();
        return back;
    }

    private static long roundTripMillis(Socket s) throws Exception {
        long t0 = System.nanoTime();
        assertArrayEquals(new byte[] {42}, roundTrip(s, new byte[] {42}));
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /** True when the connection is broken: reads end (EOF) or fail (reset). */
    private static boolean broken(Socket s) {
        try {
            OutputStream out = s.getOutputStream();
            out.write(1);
            out.flush();
            return s.getInputStream().read() < 0;
        } catch (SocketException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void bytesPassUnchanged_bothDirections() throws Exception {
        LinkProxy b = network.proxy("b", echoServer());
        byte[] data = new byte[4 << 20];
        new Random(7).nextBytes(data);

        Socket s = connectAs("a", b.port());
        assertArrayEquals(data, roundTrip(s, data));

        assertEquals(List.of("#1 a -> b"), network.openConnections());
        assertEquals(data.length, network.forwardedBytes().get(ab));
        assertEquals(data.length, network.forwardedBytes().get(new ChaosNetwork.Link("b", "a")));
        assertEquals(0, network.unidentifiedConnections());
    }

    @Test
    void latency_delaysEveryChunkOfThatLinkInOrder() throws Exception {
        LinkProxy b = network.proxy("b", echoServer());
        Socket s = connectAs("a", b.port());
        long before = roundTripMillis(s);

        network.latency(ab, Duration.ofMillis(200));
        long delayed = roundTripMillis(s);
        byte[] burst = new byte[1 << 20];
        new Random(3).nextBytes(burst);
        long t0 = System.nanoTime();
        assertArrayEquals(burst, roundTrip(s, burst));
        long burstMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        network.latency(ab, Duration.ZERO);
        long after = roundTripMillis(s);

        assertTrue(delayed >= 200 && delayed < 200 + 2_000, "round trip with 200 ms one way: " + delayed + " ms");
        assertTrue(burstMillis >= 200 && burstMillis < 200 + 2_000,
                "1 MiB in chunks, each delayed 200 ms, not 200 ms per chunk: " + burstMillis + " ms");
        assertTrue(before < 200 && after < 200, "without latency: " + before + " ms, " + after + " ms");
    }

    @Test
    void partition_cutsOpenConnectionsAndRefusesNewOnes_healRestores() throws Exception {
        LinkProxy b = network.proxy("b", echoServer());
        Socket open = connectAs("a", b.port());
        Socket sameSide = connectAs("c", b.port());
        roundTripMillis(open);
        roundTripMillis(sameSide);

        int cut = network.partition(List.of(Set.of("a"), Set.of("b")), 1);

        assertEquals(1, cut);
        assertTrue(broken(open), "the open connection across the partition still works");
        assertTrue(broken(connectAs("a", b.port())), "a new connection across the partition works");
        roundTripMillis(sameSide);
        roundTripMillis(connectAs("c", b.port())); // c is on no side: with b (side 2)
        assertTrue(log.contains("refused a -> b (partition)"), log.toString());

        network.heal();
        roundTripMillis(connectAs("a", b.port()));
    }

    @Test
    void bandwidth_limitsTheLink() throws Exception {
        LinkProxy b = network.proxy("b", echoServer());
        Socket s = connectAs("a", b.port());
        network.bandwidth(ab, 256 << 10);
        byte[] data = new byte[512 << 10];
        new Random(5).nextBytes(data);

        long t0 = System.nanoTime();
        assertArrayEquals(data, roundTrip(s, data));
        double seconds = (System.nanoTime() - t0) / 1e9;

        assertTrue(seconds >= 1.7 && seconds < 10, "512 KiB at 256 KiB/s took " + seconds + " s");
        network.bandwidth(ab, 0);
        t0 = System.nanoTime();
        assertArrayEquals(data, roundTrip(s, data));
        assertTrue((System.nanoTime() - t0) / 1e9 < 1.7, "unlimited again");
    }

    @Test
    void drop_cutsTheLinksOpenConnections_newOnesPass() throws Exception {
        LinkProxy b = network.proxy("b", echoServer());
        Socket s = connectAs("a", b.port());
        Socket other = connectAs("c", b.port());
        roundTripMillis(s);

        assertEquals(1, network.drop(ab));

        assertTrue(broken(s));
        roundTripMillis(other);
        roundTripMillis(connectAs("a", b.port()));
    }

    @Test
    void unidentifiedSource_passesAndIsCounted() throws Exception {
        LinkProxy b = network.proxy("b", echoServer());
        Socket s = new Socket(LOOPBACK, b.port());
        resources.add(s);
        s.setSoTimeout(10_000);
        network.partition(List.of(Set.of("a"), Set.of("b")), 0);

        roundTripMillis(s);
        assertEquals(1, network.unidentifiedConnections());
    }

    @Test
    void replacedProxy_cutsTheOldOnesConnections() throws Exception {
        int echo = echoServer();
        Socket s = connectAs("a", network.proxy("b", echo).port());
        roundTripMillis(s);

        LinkProxy again = network.proxy("b", echo);

        assertTrue(broken(s));
        roundTripMillis(connectAs("a", again.port()));
    }

    @Test
    void tokenBucket_rejectsNonPositiveRates() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0));
    }

    /** Not a guarantee, a measurement: MB/s through the proxy vs direct loopback, printed. */
    @Test
    void throughput_proxiedIsFarAboveWhatAJobNeeds() throws Exception {
        int sink = sinkServer();
        LinkProxy b = network.proxy("b", sink);
        long bytes = 512L << 20;
        double direct = pump(connectAs("a", sink), bytes);
        double proxied = pump(connectAs("a", b.port()), bytes);
        System.out.printf("loopback throughput: direct %.0f MB/s, through the proxy %.0f MB/s%n", direct, proxied);
        assertTrue(proxied > 100, "proxy throughput " + proxied + " MB/s");
    }

    /** A server that discards what it reads and answers one byte at the end of each stream. */
    private int sinkServer() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
        resources.add(server);
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    resources.add(s);
                    Thread drain = new Thread(() -> {
                        try (InputStream in = s.getInputStream()) {
                            in.transferTo(OutputStream.nullOutputStream());
                            s.getOutputStream().write(1);
                            s.shutdownOutput();
                        } catch (IOException closed) {
                            // cut
                        }
                    });
                    drain.setDaemon(true);
                    drain.start();
                } catch (IOException closed) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return server.getLocalPort();
    }

    /** MB/s of sending {@code bytes} and receiving the sink's end-of-stream answer. */
    private static double pump(Socket s, long bytes) throws IOException {
        byte[] buf = new byte[256 << 10];
        long t0 = System.nanoTime();
        OutputStream out = s.getOutputStream();
        for (long sent = 0; sent < bytes; sent += buf.length) out.write(buf);
        s.shutdownOutput();
        assertEquals(1, s.getInputStream().read());
        return bytes / 1e6 / ((System.nanoTime() - t0) / 1e9);
    }
}
