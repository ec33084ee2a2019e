package io.flock.actors.worker;

import io.flock.actors.dataplane.CollectiveSession;
import io.flock.actors.shard.ParameterShard;
import io.flock.strategies.Replica;
import org.apache.pekko.actor.typed.ActorRef;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A worker's training loop under one family of strategies: {@link BspLoop} (ps-bsp),
 * {@link SspLoop} (ps-ssp, ps-asp), {@link CollectiveLoop} (ring, tree); {@link StepLoops} picks
 * one per assignment. The {@link Worker} owns the job and the view and hands each message to the
 * loop in force; a loop ignores the shard replies and timers it has no use for (the defaults).
 */
interface StepLoop {

    /**
     * Takes a new view {@code a} of the job and (re)starts at {@code a.startStep()}. {@code newJob}:
     * the first view of this job on this worker (nothing kept from another job is valid).
     */
    void start(WorkerJob job, Assignment a, ActorRef<WorkerReport> coordinator, boolean newJob);

    /** {@link Worker.Hold}: begin no step not begun yet; returns the first one not begun. */
    long hold();

    /** {@link Worker.RunTo}: run every step below {@code step}, then report {@link WorkerReport.AtBoundary}. */
    void runTo(long step);

    /** {@link Worker.Prepare}: a peer view is being formed; stop where the loop is, drop what is in flight. */
    void prepare();

    /** Another loop takes over this job (a strategy switch); what this one held is no longer valid. */
    void stop();

    /** The worker leaves the job: drop every reference to it. */
    void release();

    /** The next step this loop will begin (or is computing). */
    long step();

    /** The full replica this loop trains (collective strategies); null otherwise. */
    default Replica replica() {
        return null;
    }

    default void onPulled(ParameterShard.Pulled pulled) {}

    default void onSspPulled(ParameterShard.SspPulled pulled) {}

    default void onSspAcked(ParameterShard.SspAcked acked) {}

    default void onSnapshot(ParameterShard.Snapshot snapshot) {}

    default void onReplicaCopy(Worker.ReplicaCopy copy) {}

    /** The retry timer of pull round {@code request} fired. */
    default void onPullRetry(long request) {}

    /** The step delay set with {@code epoch} and {@code token} (see {@link LoopScheduler#delayStep}) is over. */
    default void onStepDelayElapsed(long epoch, long token) {}

    /** The collective of {@code step} ended: {@code mean} is the result, or {@code error} why not. */
    default void onCollectiveDone(CollectiveSession session, long step, INDArray mean, Throwable error) {}
}
