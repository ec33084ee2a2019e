package io.flock.actors.wire;

import io.flock.strategies.Strategy;
import io.flock.actors.job.TrainingEvent;
import io.flock.actors.job.TrainingJob;
import io.flock.actors.job.TrainingResult;
import io.flock.actors.coordinator.Coordinator;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.worker.Assignment;
import io.flock.actors.worker.Worker;
import io.flock.actors.worker.WorkerReport;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.nd4j.linalg.factory.Nd4j;

/** One sample instance of every class on Flock's wire, for round-trip tests. */
final class WireSamples {

    private WireSamples() {}

    @SuppressWarnings({"unchecked", "rawtypes"})
    static List<Object> all(ActorRef<?> ref) {
        ActorRef any = ref;
        TrainingJob job = TrainingJob.builder().jobId("wire-job")
                .model(ModelSpec.Mlp.fashionMnist(1)).dataset(DatasetSpec.Synthetic.fashionMnistShaped(100, 10, 2))
                .optimizer(new OptimizerSpec.Momentum(0.1, 0.9, true)).steps(5).build();
        Assignment assignment = new Assignment(job, 3, 1, 2, 7, 10, new long[] {0, 5, 10}, 600, any,
                io.flock.strategies.Strategy.RING, new String[] {"127.0.0.1:4000", "127.0.0.1:4001"}, null);
        var tensor = Nd4j.rand(3, 4).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        TrainingResult result = new TrainingResult("wire-job", 5, 0.5, 0.9, tensor, 1000, 12.5);
        var pending = new io.flock.strategies.BspShardState.PendingStep(3, tensor, 1,
                new org.nd4j.linalg.api.ndarray.INDArray[] {null, null, tensor}, new boolean[] {true, false, true});
        var exported = new io.flock.strategies.BspShardState.Exported(3, tensor, tensor, tensor, new long[] {0, 1, 2},
                new io.flock.strategies.BspShardState.PendingStep[] {pending});
        var image = new io.flock.actors.shard.ShardImage("j", 1, OptimizerSpec.Adam.of(1e-3), 6, exported);
        var sspExported = new io.flock.strategies.SspShardState.Exported(tensor, tensor, 2, 4, 13, 15, 5, 2, 7,
                new long[] {25, 27}, new long[] {0, 1});
        var sspImage = new io.flock.actors.shard.ShardImage.Ssp(3, sspExported);
        return List.of(
                job, result, Strategy.PS_BSP, assignment,
                new ModelSpec.Mlp(10, new int[] {4, 3}, 2, 9), ModelSpec.Cnn.fashionMnist(3),
                new DatasetSpec.Idx("/data/x"), new DatasetSpec.Csv("a.csv", "b.csv", 3),
                DatasetSpec.Synthetic.fashionMnistShaped(10, 5, 1),
                new OptimizerSpec.Sgd(0.1), new OptimizerSpec.Momentum(0.1, 0.9, false), OptimizerSpec.Adam.of(1e-3),
                new TrainingEvent.Started("j", 0, 10, 5, 3, 2, Strategy.PS_BSP, 100),
                new TrainingEvent.StepCompleted("j", 1, 0, 0.7, 1234.5, 3),
                new TrainingEvent.EpochCompleted("j", 0, 5, 0.8),
                new TrainingEvent.Completed("j", result),
                new TrainingEvent.Failed("j", "because"),
                new TrainingEvent.MembershipChanged("j", 2, 3, 17),
                new TrainingEvent.Paused("j", 17, 1, 2),
                new Coordinator.Submit(job, any, true),
                new Coordinator.CheckpointNow("j", any),
                new io.flock.actors.checkpoint.CheckpointResult("j", 20, "/tmp/j-20.ckpt", ""),
                new TrainingEvent.CheckpointWritten("j", 20, "/tmp/j-20.ckpt"),
                new TrainingEvent.Restored("j", 20, "/tmp/j-20.ckpt", new String[] {"j-40.ckpt is corrupt"}),
                new Coordinator.GetStatus(any),
                new io.flock.actors.job.JobStatus("j", 3, 10, io.flock.strategies.Strategy.PS_BSP, 2, 1),
                new WorkerReport.StepDone("j", 2, 3, 1, new int[] {1, 3}, new double[] {0.5, 0.25}, 20, 12345),
                new WorkerReport.WorkerFailed("j", 1, "no data"),
                new Worker.Assign(assignment, any),
                new Worker.Release("j"),
                new Worker.ReportAssignment(any),
                new WorkerReport.AssignmentReport(any, assignment, 7),
                new WorkerReport.AssignmentReport(any, null, 0),
                new ParameterShard.Init("j", 1, tensor, tensor, OptimizerSpec.Adam.of(1e-3), 6, 0, any),
                new ParameterShard.Pull("j", 4, 9, any),
                new ParameterShard.Push("j", 4, 2, tensor),
                new ParameterShard.GetSnapshot("j", 5, any),
                new ParameterShard.Release("j"),
                new ParameterShard.Initialized("j", 1, 0),
                new ParameterShard.GetVersion("j", any),
                new ParameterShard.Replication.BackupReady("j", any),
                new ParameterShard.Replication.BackupAck("j", 5),
                new ParameterShard.Replication.BackupState(image, any),
                new ParameterShard.Replication.NoBackup("j-shard-1", any),
                new ParameterShard.Lost("j", 1, "gone"),
                image, exported,
                new io.flock.strategies.BspShardState.Exported(3, tensor, tensor, null, new long[0],
                        new io.flock.strategies.BspShardState.PendingStep[0]),
                pending,
                new io.flock.actors.shard.ShardBackup.Replicate(new ParameterShard.Push("j", 4, 2, tensor)),
                new io.flock.actors.shard.ShardBackup.HandOver(any),
                new io.flock.actors.shard.ShardBackup.Stop(),
                new io.flock.actors.shard.BackupHost.HostBackup("j-shard-1", image, any),
                new io.flock.actors.shard.BackupHost.FindBackup("j-shard-1", any),
                new io.flock.actors.shard.BackupHost.DropBackup("j-shard-1"),
                new ParameterShard.Version("j", 1, 4),
                new ParameterShard.Pulled("j", 1, 4, 9, tensor),
                new ParameterShard.Snapshot("j", 1, 4, tensor, tensor, new long[] {0, 1, 2, 3}),
                sspExported, sspImage,
                new io.flock.actors.shard.ShardImage("j", 1, OptimizerSpec.Adam.of(1e-3), 6, exported, sspImage),
                java.time.Duration.ofMillis(250),
                new Worker.SetStepDelay(java.time.Duration.ofMillis(250)),
                new TrainingEvent.GradientsAudited("j", 3, 120, 0, 1),
                new ParameterShard.SspPull("j", 4, 9, any),
                new ParameterShard.SspPush("j", 4, 2, tensor, any),
                new ParameterShard.Replication.SspBackupAck("j", 17, 4),
                new ParameterShard.GetSspProgress("j", 10, true, any),
                new ParameterShard.SwitchStrategy("j", Strategy.PS_SSP, 3, 20, any),
                new ParameterShard.SspPulled("j", 1, 4, 9, tensor),
                new ParameterShard.SspAcked("j", 1, 4, 2),
                new ParameterShard.SspProgress("j", 1, 10, 0, 9, new long[] {54, 55}, 56, 60, 2, true, tensor),
                new ParameterShard.SspProgress("j", 1, 0, 0, 9, new long[0], 54, 54, 2, false, null),
                new ParameterShard.StrategySwitched("j", 1, Strategy.PS_ASP, 20),
                new ParameterShard.SwitchRefused("j", 1, "past it"),
                new io.flock.actors.shard.ShardBackup.ReplicateSsp(17, 4, 2, tensor),
                new io.flock.actors.shard.ShardBackup.SwitchTo(Strategy.PS_SSP, 3, 20, 18),
                new ParameterShard.Seed("j", 1, exported, OptimizerSpec.Adam.of(1e-3), 6, any),
                new TrainingEvent.StrategyChanged("j", Strategy.PS_BSP, Strategy.RING, 20, "asked"),
                new TrainingEvent.StrategyDecided("j", 40, Strategy.RING, Strategy.PS_SSP, "worker 2 is 2x slower"),
                new io.flock.actors.job.SwitchResult("j", Strategy.RING, 20, null),
                new io.flock.actors.job.SwitchResult("j", Strategy.PS_BSP, -1, "no running job j"),
                new Coordinator.SwitchStrategy("j", Strategy.RING, 20, "asked", any),
                new WorkerReport.Held("j", 3, 1, 20),
                new WorkerReport.AtBoundary("j", 3, 1, 20),
                new WorkerReport.MemberReady("j", 2, any, "127.0.0.1:4000", 20),
                new WorkerReport.CollectiveFailed("j", 3, 20, 1, "peer 127.0.0.1:4001 closed the connection"),
                new Worker.Hold("j", 3),
                new Worker.RunTo("j", 3, 20),
                new Worker.Prepare("j", 4, 2, any),
                new Worker.GetReplica("j", 20, any),
                new Worker.ReplicaCopy("j", 20, tensor, tensor, null, new long[] {0, 1}, null),
                new Worker.ReplicaCopy("j", 20, null, null, null, null, "holds no replica"),
                new Worker.SeedShards("j", any),
                new Worker.Echo("j", tensor, 123456789L, any),
                new Worker.RecomputeLosses("j", 19, new int[] {4, 5}, any),
                new WorkerReport.Echoed("j", 48, 123456789L));
    }
}
