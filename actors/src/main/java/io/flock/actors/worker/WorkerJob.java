package io.flock.actors.worker;

import io.flock.tensor.data.DatasetCache;
import io.flock.actors.shard.ParameterShard;
import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.model.Model;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What a worker loads once per job: the model, the training data, the batch plan (which samples
 * each micro-batch of each step holds), the shards and the buffer the parameter-server loops
 * pull into. Shared by every loop of the job.
 */
record WorkerJob(Model model, Dataset train, BatchPlan plan, BatchPlan.Sampler sampler,
        EntityRef<ParameterShard.Command>[] shards, INDArray params) {

    /** Loads job {@code a.jobId()}; throws if the data or the model cannot be had on this node. */
    @SuppressWarnings("unchecked")
    static WorkerJob load(Assignment a, DatasetCache datasets, ActorSystem<?> system) {
        Dataset train = datasets.train(a.job().dataset());
        Model model = a.job().model().build();
        BatchPlan plan = new BatchPlan(a.job().seed(), train.size(), a.job().globalBatch(), a.job().microBatches());
        BatchPlan.Sampler sampler = plan.sampler();
        INDArray params = Nd4j.zeros(DataType.FLOAT, model.numParams());
        EntityRef<ParameterShard.Command>[] shards = new EntityRef[a.shardBounds().length - 1];
        for (int s = 0; s < shards.length; s++) {
            shards[s] = ParameterShard.ref(system, a.jobId(), s);
        }
        return new WorkerJob(model, train, plan, sampler, shards, params);
    }

    /** The losses of {@code microBatches} of {@code step} computed on {@code on}. */
    double[] losses(INDArray on, long step, int[] microBatches) {
        double[] losses = new double[microBatches.length];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = model.gradient(on, train.batch(sampler.indices(step, microBatches[i]))).loss();
        }
        return losses;
    }
}
