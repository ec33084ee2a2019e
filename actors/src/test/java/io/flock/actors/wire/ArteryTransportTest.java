package io.flock.actors.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.flock.actors.metrics.FlockMetrics;
import io.flock.actors.metrics.PrometheusMetrics;
import io.flock.actors.shard.ParameterShard;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Flock messages over real Artery TCP between two ActorSystems on 127.0.0.1. */
class ArteryTransportTest {

    static final Config BASE = ConfigFactory.parseString("""
            pekko.remote.artery.canonical.hostname = "127.0.0.1"
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.coordinated-shutdown.exit-jvm = off
            """).withFallback(io.flock.actors.api.FlockConfig.load());

    ActorTestKit sender;
    ActorTestKit receiver;
    TestProbe<Object> probe;
    ActorRef<Object> inbox;

    @BeforeEach
    void start() {
        receiver = ActorTestKit.create("flock", BASE);
        probe = receiver.createTestProbe();
        ActorRef<Object> forwardTo = probe.ref();
        inbox = receiver.spawn(Behaviors.receiveMessage(msg -> {
            forwardTo.tell(msg);
            return Behaviors.same();
        }), "inbox");
    }

    @AfterEach
    void stop() {
        if (sender != null) sender.shutdownTestKit();
        receiver.shutdownTestKit();
    }

    @Test
    void multiMegabyteParameterVector_crossesArteryIntact() {
        sender = ActorTestKit.create("flock", BASE);
        INDArray params = Nd4j.rand(DataType.FLOAT, 4 * 1024 * 1024); // 16 MiB, 64x the default frame
        remoteInbox(sender).tell(new ParameterShard.Pulled("big", 0, 7, 0, params));

        ParameterShard.Pulled got = probe.expectMessageClass(ParameterShard.Pulled.class, Duration.ofSeconds(60));
        assertEquals(7, got.version());
        assertEquals(params, got.params());
    }

    @Test
    void garbageUnderKryoSerializerId_isDroppedAndLaterMessagesStillArrive() {
        sender = ActorTestKit.create("flock", ConfigFactory.parseString(
                "pekko.actor.serializers.flock-kryo = \"io.flock.actors.wire.RogueSerializer\"").withFallback(BASE));
        ActorRef<Object> target = remoteInbox(sender);
        for (int i = 0; i < 40; i++) target.tell(new ParameterShard.Release("rogue-" + i));
        target.tell("still-alive"); // Pekko's own String serializer: decodable

        assertEquals("still-alive", probe.expectMessageClass(String.class, Duration.ofSeconds(30)));
        probe.expectNoMessage(Duration.ofMillis(200));
        var metrics = (PrometheusMetrics) FlockMetrics.get(receiver.system()).metrics();
        assertEquals(40.0, metrics.registry().getSampleValue("flock_serialization_errors_total"),
                "every dropped message is counted");
    }

    private ActorRef<Object> remoteInbox(ActorTestKit from) {
        String address = ActorRefResolver.get(receiver.system()).toSerializationFormat(inbox);
        return ActorRefResolver.get(from.system()).resolveActorRef(address);
    }
}
