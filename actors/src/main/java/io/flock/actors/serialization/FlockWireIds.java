package io.flock.actors.serialization;

import io.flock.actors.job.JobStatus;
import io.flock.actors.job.SwitchResult;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingJob;
import io.flock.actors.job.TrainingResult;
import io.flock.actors.checkpoint.CheckpointResult;
import io.flock.actors.coordinator.Coordinator;
import io.flock.actors.shard.BackupHost;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.shard.ShardBackup;
import io.flock.actors.shard.ShardImage;
import io.flock.actors.wire.WireIds;
import io.flock.actors.worker.Assignment;
import io.flock.actors.worker.Worker;
import io.flock.actors.worker.WorkerReport;
import io.flock.strategies.BspShardState;
import io.flock.strategies.SspShardState;
import io.flock.strategies.Strategy;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Flock's wire id table: every class allowed on the wire with its Kryo id, fixed for good, so
 * nodes of two builds agree on every id both know and adding a message renumbers nothing. The
 * ids are append-only; {@code FlockWireIdsTest} checks this table against the committed
 * {@code actors/src/test/resources/wire-ids.txt}, and {@link io.flock.actors.wire.WireRegistry}
 * refuses to build a Kryo while a public record reachable from {@link #ROOTS} has no id.
 *
 * <p><b>Adding a message</b> (a new public record in a sealed protocol, or a new root): append
 * {@code .id(<next>, Its.class)} at the end of {@link #IDS} and the line
 * {@code <next>  its.binary.Name} to wire-ids.txt ({@link WireIds#nextId()} is the next id; the
 * failing check prints both lines). <b>Removing one</b>: turn its line into
 * {@code .retired(<id>, "its.binary.Name")} here and {@code <id>  retired  its.binary.Name} in
 * wire-ids.txt; the id is never reused. <b>Renaming or moving</b> a record whose fields stay the
 * same keeps its id: change the class on its line in both places. A new sealed protocol root
 * goes into {@link #ROOTS}; its records then need ids as above.
 *
 * <p>This table lives above the protocol packages ({@code api}, {@code coordinator},
 * {@code worker}, {@code shard}, {@code checkpoint}), which depend only on the generic
 * {@code wire} package for {@link io.flock.actors.wire.FlockMessage}: that breaks the cycle
 * between {@code wire} and the protocols.
 */
public final class FlockWireIds {

    /** Protocol roots and value types: every public record reachable from them needs an id. */
    public static final List<Class<?>> ROOTS = List.of(
            TrainingJob.class, TrainingResult.class, Strategy.class,
            ModelSpec.class, DatasetSpec.class, OptimizerSpec.class,
            TrainingEvent.class,
            Coordinator.Command.class,
            Worker.Command.class, WorkerReport.class,
            ParameterShard.Command.class, ParameterShard.Reply.class,
            Assignment.class,
            CheckpointResult.class,
            ShardImage.class, BspShardState.Exported.class,
            ShardBackup.Command.class, BackupHost.Command.class,
            JobStatus.class,
            BspShardState.PendingStep.class,
            BspShardState.PendingStep[].class,
            INDArray[].class,
            SwitchResult.class,
            ShardImage.Ssp.class, SspShardState.Exported.class,
            Duration.class);

    /** The table. Append only: see the class comment. */
    public static final WireIds IDS = WireIds.builder()
            .id(100, byte[].class)
            .id(101, int[].class)
            .id(102, long[].class)
            .id(103, float[].class)
            .id(104, double[].class)
            .id(105, boolean[].class)
            .id(106, String[].class)
            .id(107, long[][].class)
            .id(108, INDArray.class)
            .id(109, ActorRef.class)
            .id(110, TrainingJob.class)
            .id(111, TrainingResult.class)
            .id(112, Strategy.class)
            .id(113, ModelSpec.Cnn.class)
            .id(114, ModelSpec.Mlp.class)
            .id(115, DatasetSpec.Csv.class)
            .id(116, DatasetSpec.Idx.class)
            .id(117, DatasetSpec.Synthetic.class)
            .id(118, OptimizerSpec.Adam.class)
            .id(119, OptimizerSpec.Momentum.class)
            .id(120, OptimizerSpec.Sgd.class)
            .id(121, TrainingEvent.CheckpointWritten.class)
            .id(122, TrainingEvent.Completed.class)
            .id(123, TrainingEvent.EpochCompleted.class)
            .id(124, TrainingEvent.Failed.class)
            .id(125, TrainingEvent.GradientsAudited.class)
            .id(126, TrainingEvent.MembershipChanged.class)
            .id(127, TrainingEvent.Paused.class)
            .id(128, TrainingEvent.Restored.class)
            .id(129, TrainingEvent.Started.class)
            .id(130, TrainingEvent.StepCompleted.class)
            .id(131, TrainingEvent.StrategyChanged.class)
            .id(132, TrainingEvent.StrategyDecided.class)
            .id(133, WorkerReport.AssignmentReport.class)
            .id(134, WorkerReport.AtBoundary.class)
            .id(135, Coordinator.CheckpointNow.class)
            .id(136, WorkerReport.CollectiveFailed.class)
            .id(137, WorkerReport.Echoed.class)
            .id(138, Coordinator.GetStatus.class)
            .id(139, WorkerReport.Held.class)
            .id(140, WorkerReport.MemberReady.class)
            .id(141, WorkerReport.StepDone.class)
            .id(142, Coordinator.Submit.class)
            .id(143, Coordinator.SwitchStrategy.class)
            .id(144, WorkerReport.WorkerFailed.class)
            .id(145, Worker.Assign.class)
            .id(146, Worker.Echo.class)
            .id(147, Worker.GetReplica.class)
            .id(148, Worker.Hold.class)
            .id(149, Worker.Prepare.class)
            .id(150, Worker.RecomputeLosses.class)
            .id(151, Worker.Release.class)
            .id(152, Worker.ReplicaCopy.class)
            .id(153, Worker.ReportAssignment.class)
            .id(154, Worker.RunTo.class)
            .id(155, Worker.SeedShards.class)
            .id(156, Worker.SetStepDelay.class)
            .id(157, ParameterShard.Replication.BackupAck.class)
            .id(158, ParameterShard.Replication.BackupReady.class)
            .id(159, ParameterShard.Replication.BackupState.class)
            .id(160, ParameterShard.GetSnapshot.class)
            .id(161, ParameterShard.GetSspProgress.class)
            .id(162, ParameterShard.GetVersion.class)
            .id(163, ParameterShard.Init.class)
            .id(164, ParameterShard.Replication.NoBackup.class)
            .id(165, ParameterShard.Pull.class)
            .id(166, ParameterShard.Push.class)
            .id(167, ParameterShard.Release.class)
            .id(168, ParameterShard.Seed.class)
            .id(169, ParameterShard.Replication.SspBackupAck.class)
            .id(170, ParameterShard.SspPull.class)
            .id(171, ParameterShard.SspPush.class)
            .id(172, ParameterShard.SwitchStrategy.class)
            .id(173, ParameterShard.Initialized.class)
            .id(174, ParameterShard.Lost.class)
            .id(175, ParameterShard.Pulled.class)
            .id(176, ParameterShard.Snapshot.class)
            .id(177, ParameterShard.SspAcked.class)
            .id(178, ParameterShard.SspProgress.class)
            .id(179, ParameterShard.SspPulled.class)
            .id(180, ParameterShard.StrategySwitched.class)
            .id(181, ParameterShard.SwitchRefused.class)
            .id(182, ParameterShard.Version.class)
            .id(183, Assignment.class)
            .retired(184, "io.flock.actors.checkpoint.Checkpoint") // checkpoints have their own file format (CheckpointFormat)
            .id(185, CheckpointResult.class)
            .id(186, ShardImage.class)
            .id(187, BspShardState.Exported.class)
            .id(188, ShardBackup.HandOver.class)
            .id(189, ShardBackup.Replicate.class)
            .id(190, ShardBackup.ReplicateSsp.class)
            .id(191, ShardBackup.Stop.class)
            .id(192, ShardBackup.SwitchTo.class)
            .id(193, BackupHost.DropBackup.class)
            .id(194, BackupHost.FindBackup.class)
            .id(195, BackupHost.HostBackup.class)
            .id(196, JobStatus.class)
            .id(197, BspShardState.PendingStep.class)
            .id(198, BspShardState.PendingStep[].class)
            .id(199, INDArray[].class)
            .id(200, SwitchResult.class)
            .id(201, ShardImage.Ssp.class)
            .id(202, SspShardState.Exported.class)
            .id(203, Duration.class)
            .roots(ROOTS)
            .build();

    private FlockWireIds() {}
}
