package io.flock.actors.worker;

import io.flock.actors.job.TrainingJob;
import io.flock.actors.dataplane.CollectiveSession;
import io.flock.actors.metrics.TrainingMetrics;
import io.flock.tensor.data.DatasetCache;
import io.flock.actors.shard.ParameterShard;
import io.flock.strategies.Strategy;
import io.flock.tensor.data.BatchPlan;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.Model;
import io.flock.tensor.model.ModelSpec;
import io.flock.tensor.optim.OptimizerSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.testkit.javadsl.TestEntityRef;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.LoggerFactory;

/**
 * A step loop's world without a cluster: two shards and the coordinator are probes, timers are
 * recorded (and fired by hand), the clock is a counter. A small MLP on synthetic data, 4
 * micro-batches of 2 samples, rank 0 of 2.
 */
final class LoopFixture {

    static final String JOB = "loop-test";
    static final int MICRO_BATCHES = 4;

    /** Records the timers a loop sets instead of scheduling them. */
    static final class RecordingScheduler implements LoopScheduler {
        final List<long[]> retries = new ArrayList<>();
        final List<long[]> delays = new ArrayList<>();
        int retryCancels;

        @Override
        public void retryPulls(long request, Duration after) {
            retries.add(new long[] {request, after.toMillis()});
        }

        @Override
        public void cancelPullRetry() {
            retryCancels++;
        }

        @Override
        public void delayStep(long epoch, long token, Duration after) {
            delays.add(new long[] {epoch, token, after.toMillis()});
        }

        @Override
        public void whenDone(CollectiveSession session, long step) {
            throw new UnsupportedOperationException("no collectives here");
        }

        long lastRetryRequest() {
            return retries.get(retries.size() - 1)[0];
        }
    }

    final List<TestProbe<ParameterShard.Command>> shards = new ArrayList<>();
    final TestProbe<WorkerReport> coordinator;
    final TestProbe<ParameterShard.Reply> replies;
    final RecordingScheduler scheduler = new RecordingScheduler();
    final AtomicLong clock = new AtomicLong();
    Duration stepDelay = Duration.ZERO;
    final LoopContext context;
    final WorkerJob job;
    final Assignment assignment;

    @SuppressWarnings("unchecked")
    LoopFixture(ActorTestKit kit, Strategy strategy, long totalSteps) {
        coordinator = kit.createTestProbe();
        replies = kit.createTestProbe();
        ModelSpec modelSpec = new ModelSpec.Mlp(4, new int[] {3}, 2, 7);
        DatasetSpec dataSpec = new DatasetSpec.Synthetic(40, 8, 4, 2, 11);
        Dataset train = new DatasetCache().train(dataSpec);
        Model model = modelSpec.build();
        BatchPlan plan = new BatchPlan(3, train.size(), 8, MICRO_BATCHES);
        long n = model.numParams();
        EntityRef<ParameterShard.Command>[] refs = new EntityRef[2];
        for (int s = 0; s < 2; s++) {
            TestProbe<ParameterShard.Command> probe = kit.createTestProbe();
            shards.add(probe);
            refs[s] = TestEntityRef.of(ParameterShard.TYPE_KEY, JOB + "-" + s, probe.ref());
        }
        job = new WorkerJob(model, train, plan, plan.sampler(), refs, Nd4j.zeros(DataType.FLOAT, n));
        TrainingJob spec = TrainingJob.builder().jobId(JOB).model(modelSpec).dataset(dataSpec)
                .optimizer(new OptimizerSpec.Sgd(0.1))
                .globalBatch(8).microBatches(MICRO_BATCHES).steps(totalSteps).seed(3).shards(2).workers(1, 2)
                .strategy(strategy).staleness(1).build();
        assignment = new Assignment(spec, 1, 0, 2, 0, totalSteps, new long[] {0, n / 2, n}, train.size(), null,
                strategy, new String[0], null);
        context = new LoopContext("worker-test", LoggerFactory.getLogger(LoopFixture.class), null, replies.ref(),
                scheduler, clock::get, WorkerSettings.DEFAULTS, () -> TrainingMetrics.DISABLED,
                () -> { throw new UnsupportedOperationException("no data plane here"); }, () -> stepDelay);
    }

    long sliceLength(int shard) {
        return assignment.shardBounds()[shard + 1] - assignment.shardBounds()[shard];
    }

    org.nd4j.linalg.api.ndarray.INDArray slice(int shard) {
        return Nd4j.zeros(DataType.FLOAT, sliceLength(shard));
    }
}
