package io.flock.actors.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.actors.api.FlockNode;
import io.flock.actors.api.LocalCluster;
import io.flock.actors.job.TrainingJob;
import io.flock.actors.job.TrainingResult;
import io.flock.actors.wire.RawArtery;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artery over TLS with mutual authentication, configured as config/tls-example.conf says, with
 * certificates from config/make-test-certs.sh: nodes with certificates of the cluster's CA train
 * together; a node whose certificate comes from another CA cannot join.
 */
class ArteryTlsTest {

    static final Path SCRIPT = Path.of("..", "config", "make-test-certs.sh");

    @TempDir
    static Path dir;

    @BeforeAll
    static void makeCertificates() throws Exception {
        run(dir.resolve("cluster"), "node1");
        run(dir.resolve("stranger"), "rogue");
    }

    @Test
    void trustedNodesTrain_untrustedNodeCannotJoin() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(2, 1, tls(dir.resolve("cluster"), "node1"))) {
            TrainingResult result = cluster.node(0).submit(TrainingJob.builder().jobId("tls")
                    .model(ModelSpec.Mlp.fashionMnist(7)).dataset(DatasetSpec.Synthetic.fashionMnistShaped(600, 100, 11))
                    .globalBatch(60).microBatches(6).steps(5).shards(2).workers(2, 2).build())
                    .result().toCompletableFuture().get(120, TimeUnit.SECONDS);
            assertEquals(5, result.steps());

            try (FlockNode stranger = FlockNode.start(tls(dir.resolve("stranger"), "rogue").withFallback(
                    ConfigFactory.parseString("""
                            pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
                            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                            pekko.coordinated-shutdown.exit-jvm = off
                            """)))) {
                stranger.join(cluster.node(0).address());
                // A refused handshake leaves no trace to wait for: give the join a bounded chance.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                while (System.nanoTime() < deadline) {
                    assertEquals(2, members(cluster.node(0)), "the untrusted node got into the cluster");
                    TimeUnit.MILLISECONDS.sleep(100);
                }
                assertEquals(0, members(stranger), "the untrusted node sees no cluster");
            }
        }
    }

    @Test
    void negativeFrameLengthOnTlsPort_neverReachesArteryFraming() throws Exception {
        // On plain TCP these 9 bytes livelock Pekko 1.7.0's inbound stream (ArteryGarbageTest's
        // disabled test); under TLS they are a failed handshake and nothing reaches the framing.
        try (LocalCluster cluster = LocalCluster.start(2, 1, tls(dir.resolve("cluster"), "node1"));
                var drops = new RawArtery.DropCounter()) {
            var handle = cluster.node(0).submit(TrainingJob.builder().jobId("tls-garbage")
                    .model(ModelSpec.Mlp.fashionMnist(7)).dataset(DatasetSpec.Synthetic.fashionMnistShaped(600, 100, 11))
                    .globalBatch(60).microBatches(6).steps(20).shards(2).workers(2, 2).build());
            for (FlockNode node : cluster.nodes()) {
                int port = node.address().getPort().get();
                RawArtery.send(port, RawArtery.negativeFrameLength(), false);
                RawArtery.send(port, RawArtery.concat(RawArtery.negativeFrameLength(), new byte[64]), true);
            }

            assertEquals(20, handle.result().toCompletableFuture().get(120, TimeUnit.SECONDS).steps());
            assertEquals(0, drops.drops(), "garbage reached Artery's decoder through TLS");
            for (FlockNode node : cluster.nodes()) assertEquals(2, members(node), node.address() + " lost a member");
        }
    }

    static int members(FlockNode node) {
        int n = 0;
        for (var m : Cluster.get(node.system()).state().getMembers()) n++;
        return n;
    }

    static Config tls(Path certs, String node) {
        return ConfigFactory.parseString("""
                pekko.remote.artery {
                  transport = tls-tcp
                  ssl.config-ssl-engine {
                    key-store = "%s"
                    trust-store = "%s"
                    key-store-password = changeit
                    key-password = changeit
                    trust-store-password = changeit
                    protocol = "TLSv1.3"
                    enabled-algorithms = ["TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"]
                    require-mutual-authentication = on
                  }
                }
                """.formatted(certs.resolve(node + ".p12"), certs.resolve("truststore.p12")));
    }

    private static void run(Path out, String node) throws Exception {
        Process p = new ProcessBuilder("bash", SCRIPT.toString(), out.toString(), node).inheritIO().start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "make-test-certs.sh failed");
    }
}
