package io.flock.actors.dataplane;

import static io.flock.actors.dataplane.Collectives.gradients;
import static io.flock.actors.dataplane.Collectives.leftFold;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.FlockConfig;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The typed extension: one endpoint per ActorSystem on Artery's canonical host, closed with the system. */
class DataPlaneExtensionTest {

    static final Config BASE = ConfigFactory.parseString("""
            pekko.remote.artery.canonical.hostname = "127.0.0.1"
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.coordinated-shutdown.exit-jvm = off
            flock.data-plane.chunk-size = 100
            """).withFallback(FlockConfig.load());

    ActorTestKit a;
    ActorTestKit b;

    @AfterEach
    void stop() {
        if (a != null) a.shutdownTestKit();
        if (b != null) b.shutdownTestKit();
    }

    @Test
    void get_listensOnCanonicalHost_oncePerSystem_andRunsACollective() throws Exception {
        a = ActorTestKit.create("flock", BASE);
        b = ActorTestKit.create("flock", BASE);
        DataPlane planeA = DataPlane.get(a.system());
        DataPlane planeB = DataPlane.get(b.system());
        assertSame(planeA, DataPlane.get(a.system()));
        assertEquals("127.0.0.1", planeA.address().getHostString());
        assertTrue(planeA.address().getPort() > 0 && planeA.address().getPort() != planeB.address().getPort());
        assertEquals(100, planeA.settings().chunkSize());

        List<INDArray> grads = gradients(3, 1_234, 5);
        List<InetSocketAddress> members = List.of(planeA.address(), planeB.address());
        CollectiveSession atA = planeA.open(spec(members, 0));
        CollectiveSession atB = planeB.open(spec(members, 1));
        atA.contribute(0, grads.get(0));
        atB.contribute(2, grads.get(2));
        atB.contribute(1, grads.get(1));
        assertArrayEquals(leftFold(grads), atA.result().get(30, TimeUnit.SECONDS).toFloatVector());
        assertArrayEquals(leftFold(grads), atB.result().get(30, TimeUnit.SECONDS).toFloatVector());
    }

    @Test
    void systemTermination_closesTheEndpoint_andFailsOpenSessions() throws Exception {
        a = ActorTestKit.create("flock", BASE);
        DataPlane plane = DataPlane.get(a.system());
        InetSocketAddress address = plane.address();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) { // accepts, never answers
            InetSocketAddress peer = new InetSocketAddress("127.0.0.1", silent.getLocalPort());
            CollectiveSession open = plane.open(new CollectiveSpec("job", 0, 0, CollectiveSpec.Kind.TREE,
                    List.of(address, peer), 0, 10, 1, 10));

            a.shutdownTestKit();
            a = null;

            ExecutionException e = assertThrows(ExecutionException.class, () -> open.result().get(30, TimeUnit.SECONDS));
            assertEquals(CollectiveException.Reason.CLOSED, assertInstanceOf(CollectiveException.class, e.getCause()).reason());
        }
        assertThrows(ConnectException.class, () -> new Socket(address.getAddress(), address.getPort()).close());
    }

    private static CollectiveSpec spec(List<InetSocketAddress> members, int rank) {
        return new CollectiveSpec("ext", 1, 1, CollectiveSpec.Kind.RING, members, rank, 1_234, 3, 100);
    }
}
