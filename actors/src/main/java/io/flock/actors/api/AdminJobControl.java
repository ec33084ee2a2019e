package io.flock.actors.api;

import io.flock.actors.job.JobStatus;
import io.flock.actors.job.SwitchResult;
import io.flock.actors.admin.JobControl;
import io.flock.actors.coordinator.Coordinator;
import io.flock.strategies.Strategy;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The admin endpoint's {@link JobControl} on one node: asks that node's coordinator proxy and
 * turns the API's answers into the admin package's, so that package needs neither.
 */
final class AdminJobControl implements JobControl {

    private final ActorSystem<?> system;
    private final ActorRef<Coordinator.Command> coordinator;

    AdminJobControl(ActorSystem<?> system, ActorRef<Coordinator.Command> coordinator) {
        this.system = system;
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<Job> status(Duration timeout) {
        return AskPattern.<Coordinator.Command, JobStatus>ask(coordinator, Coordinator.GetStatus::new, timeout,
                        system.scheduler())
                .thenApply(s -> new Job(s.jobId(), s.step(), s.totalSteps(), s.idle() ? null : s.strategy().id(),
                        s.workers(), s.queued()));
    }

    @Override
    public CompletionStage<Checkpointed> checkpoint(String jobId, Duration timeout) {
        return AskPattern.<Coordinator.Command, io.flock.actors.checkpoint.CheckpointResult>ask(coordinator,
                        replyTo -> new Coordinator.CheckpointNow(jobId, replyTo), timeout, system.scheduler())
                .thenApply(r -> new Checkpointed(r.jobId(), r.version(), r.path(), r.ok() ? null : r.error()));
    }

    @Override
    public CompletionStage<Switched> switchStrategy(String jobId, Strategy target, Duration timeout) {
        return AskPattern.<Coordinator.Command, SwitchResult>ask(coordinator,
                        replyTo -> new Coordinator.SwitchStrategy(jobId, target, -1, "admin HTTP", replyTo), timeout,
                        system.scheduler())
                .thenApply(r -> new Switched(r.jobId(), r.ok() ? r.strategy().id() : null, r.atStep(), r.error()));
    }
}
