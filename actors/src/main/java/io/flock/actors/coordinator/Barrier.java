package io.flock.actors.coordinator;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A short-lived child of the coordinator that waits for one answer from each of a view's
 * workers — {@code Held} and {@code AtBoundary} of a strategy switch, {@code MemberReady} of a
 * view formation — and then reports them all at once as {@link Coordinator.BarrierPassed}. The
 * workers answer the coordinator, which checks job, epoch or round and forwards each answer here
 * by its slot. It has no timeout of its own: a membership change replaces it (the coordinator
 * stops it), as before it existed.
 */
final class Barrier extends AbstractBehavior<Barrier.Msg> {

    sealed interface Msg {}

    /** The answer of the worker in {@code slot} (rank, or position among the members asked). */
    record Answer(int slot, Object value) implements Msg {}

    private final String jobId;
    private final long ticket;
    private final boolean keepFirst;
    private final ActorRef<Coordinator.Command> replyTo;
    private final Object[] answers;
    private int missing;

    private Barrier(ActorContext<Msg> ctx, String jobId, long ticket, int slots, boolean keepFirst,
            ActorRef<Coordinator.Command> replyTo) {
        super(ctx);
        this.jobId = jobId;
        this.ticket = ticket;
        this.keepFirst = keepFirst;
        this.replyTo = replyTo;
        this.answers = new Object[slots];
        this.missing = slots;
    }

    /**
     * @param keepFirst true: a repeated answer of a slot is ignored; false: the newest one counts
     */
    static Behavior<Msg> create(String jobId, long ticket, int slots, boolean keepFirst,
            ActorRef<Coordinator.Command> replyTo) {
        return Behaviors.setup(ctx -> new Barrier(ctx, jobId, ticket, slots, keepFirst, replyTo));
    }

    @Override
    public Receive<Msg> createReceive() {
        return newReceiveBuilder().onMessage(Answer.class, this::onAnswer).build();
    }

    private Behavior<Msg> onAnswer(Answer a) {
        if (a.slot() < 0 || a.slot() >= answers.length || keepFirst && answers[a.slot()] != null) return this;
        if (answers[a.slot()] == null) missing--;
        answers[a.slot()] = a.value();
        if (missing > 0) return this;
        replyTo.tell(new Coordinator.BarrierPassed(jobId, ticket, answers.clone()));
        return Behaviors.stopped();
    }
}
