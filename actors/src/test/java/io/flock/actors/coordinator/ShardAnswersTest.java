package io.flock.actors.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.flock.actors.shard.ParameterShard;
import io.flock.strategies.Strategy;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ShardAnswersTest {

    static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    /** Spawns a ShardAnswers for 2 shards of job "j" and returns the reply address it asked with. */
    static ActorRef<ParameterShard.Reply> spawn(TestProbe<Coordinator.Command> coordinator) {
        AtomicReference<ActorRef<ParameterShard.Reply>> asked = new AtomicReference<>();
        KIT.spawn(ShardAnswers.create("j", 4, 2, asked::set, coordinator.getRef()));
        coordinator.awaitAssert(() -> {
            assertNotNull(asked.get(), "asked");
            return null;
        });
        return asked.get();
    }

    @Test
    void onShard_everyShardInitialised_reportsTheVersionOnce() {
        TestProbe<Coordinator.Command> coordinator = KIT.createTestProbe();
        ActorRef<ParameterShard.Reply> replies = spawn(coordinator);
        replies.tell(new ParameterShard.Initialized("j", 1, 12));
        replies.tell(new ParameterShard.Initialized("j", 1, 12));
        replies.tell(new ParameterShard.Initialized("other", 0, 12));
        coordinator.expectNoMessage(Duration.ofMillis(100));
        replies.tell(new ParameterShard.Initialized("j", 0, 12));
        Coordinator.ShardsAnswered a = coordinator.expectMessageClass(Coordinator.ShardsAnswered.class);
        assertEquals(4, a.ticket());
        assertEquals(12, a.version());
        assertNull(a.refusal());
    }

    @Test
    void onShard_aShardRefusesTheSwitch_reportsTheRefusal() {
        TestProbe<Coordinator.Command> coordinator = KIT.createTestProbe();
        ActorRef<ParameterShard.Reply> replies = spawn(coordinator);
        replies.tell(new ParameterShard.StrategySwitched("j", 0, Strategy.PS_SSP, 20));
        replies.tell(new ParameterShard.SwitchRefused("j", 1, "already past clock 20"));
        Coordinator.ShardsAnswered a = coordinator.expectMessageClass(Coordinator.ShardsAnswered.class);
        assertEquals(1, a.refusedShard());
        assertEquals("already past clock 20", a.refusal());
    }
}
