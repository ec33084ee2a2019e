package io.flock.actors.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class BarrierTest {

    static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @Test
    void answer_everySlotOnce_reportsAllAnswersWithTheTicket() {
        TestProbe<Coordinator.Command> coordinator = KIT.createTestProbe();
        ActorRef<Barrier.Msg> b = KIT.spawn(Barrier.create("j", 7, 2, true, coordinator.getRef()));
        b.tell(new Barrier.Answer(1, 20L));
        coordinator.expectNoMessage(Duration.ofMillis(100));
        b.tell(new Barrier.Answer(0, 10L));
        Coordinator.BarrierPassed passed = coordinator.expectMessageClass(Coordinator.BarrierPassed.class);
        assertEquals(7, passed.ticket());
        assertArrayEquals(new Object[] {10L, 20L}, passed.answers());
    }

    @Test
    void answer_repeatWithKeepFirst_countsOnceAndKeepsTheFirst() {
        TestProbe<Coordinator.Command> coordinator = KIT.createTestProbe();
        ActorRef<Barrier.Msg> b = KIT.spawn(Barrier.create("j", 1, 2, true, coordinator.getRef()));
        b.tell(new Barrier.Answer(0, 1L));
        b.tell(new Barrier.Answer(0, 2L));
        b.tell(new Barrier.Answer(5, 9L));
        coordinator.expectNoMessage(Duration.ofMillis(100));
        b.tell(new Barrier.Answer(1, 3L));
        assertArrayEquals(new Object[] {1L, 3L},
                coordinator.expectMessageClass(Coordinator.BarrierPassed.class).answers());
    }

    @Test
    void answer_repeatWithoutKeepFirst_keepsTheNewest() {
        TestProbe<Coordinator.Command> coordinator = KIT.createTestProbe();
        ActorRef<Barrier.Msg> b = KIT.spawn(Barrier.create("j", 1, 2, false, coordinator.getRef()));
        b.tell(new Barrier.Answer(0, "old"));
        b.tell(new Barrier.Answer(0, "new"));
        b.tell(new Barrier.Answer(1, "x"));
        assertArrayEquals(new Object[] {"new", "x"},
                coordinator.expectMessageClass(Coordinator.BarrierPassed.class).answers());
    }
}
