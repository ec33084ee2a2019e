package io.flock.actors.worker;

import io.flock.actors.wire.FlockMessage;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a worker tells its coordinator: step reports, answers to Hold/RunTo/Prepare/
 * ReportAssignment and failures. The worker's own reply protocol, so the worker package does not
 * depend on the coordinator's; the coordinator receives these through one message adapter.
 */
public sealed interface WorkerReport extends FlockMessage {

    /**
     * A worker computed micro-batches {@code microBatches} of {@code step}, with these losses.
     * Reports are idempotent per (step, micro-batch): a replay after a reassignment is harmless.
     */
    public record StepDone(String jobId, long epoch, long step, int rank, int[] microBatches, double[] losses,
            int samplesPerMicroBatch, long computeNanos) implements WorkerReport {}

    /** A worker cannot take part in the job, e.g. its node cannot load the dataset. */
    public record WorkerFailed(String jobId, int rank, String reason) implements WorkerReport {}

    /** A worker's answer to {@link Worker.ReportAssignment}: its job ({@code null} if idle) and step. */
    public record AssignmentReport(ActorRef<Worker.Command> worker, Assignment assignment, long step)
            implements WorkerReport {}

    /** A worker's answer to {@link Worker.Hold}: it begins no step from {@code nextStep} on. */
    public record Held(String jobId, long epoch, int rank, long nextStep) implements WorkerReport {}

    /** A worker's answer to {@link Worker.RunTo}: it ran every step below {@code step} and stopped. */
    public record AtBoundary(String jobId, long epoch, int rank, long step) implements WorkerReport {}

    /**
     * A worker's answer to {@link Worker.Prepare}: its data-plane address and the version of the
     * replica it holds (-1: none).
     */
    public record MemberReady(String jobId, long round, ActorRef<Worker.Command> worker, String address,
            long replicaVersion) implements WorkerReport {}

    /** A collective (ring, tree) step could not finish on a worker, e.g. a peer's connection broke. */
    public record CollectiveFailed(String jobId, long epoch, long step, int rank, String reason) implements WorkerReport {}

    /** A worker's answer to a link probe ({@link Worker.Echo}) of {@code bytes} sent at {@code sentNanos}. */
    public record Echoed(String jobId, long bytes, long sentNanos) implements WorkerReport {}
}
