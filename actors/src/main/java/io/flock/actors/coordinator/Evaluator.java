package io.flock.actors.coordinator;

import io.flock.actors.node.DatasetCache;
import io.flock.actors.shard.ParameterShard;
import io.flock.actors.worker.Assignment;
import io.flock.tensor.data.Dataset;
import io.flock.tensor.model.Model;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A short-lived child of the coordinator: gathers the full parameter vector at one version from
 * all shards, measures test accuracy, reports {@link Coordinator.Evaluated} and stops. Runs on
 * the blocking dispatcher so the coordinator never waits for the math; a receive timeout turns
 * a shard that does not answer into a failure value, not a hang.
 */
final class Evaluator {

    private Evaluator() {}

    static Behavior<Object> create(Assignment layout, long version, long epoch, DatasetCache datasets,
            ActorRef<Coordinator.Command> replyTo, Duration timeout) {
        return Behaviors.setup(ctx -> {
            long[] bounds = layout.shardBounds();
            for (int s = 0; s < bounds.length - 1; s++) {
                ParameterShard.ref(ctx.getSystem(), layout.jobId(), s)
                        .tell(new ParameterShard.Pull(layout.jobId(), version, 0, ctx.getSelf().narrow()));
            }
            ctx.setReceiveTimeout(timeout, "timeout");
            INDArray params = Nd4j.zeros(DataType.FLOAT, bounds[bounds.length - 1]);
            return gathering(ctx, layout, version, epoch, datasets, replyTo, params, new boolean[bounds.length - 1],
                    bounds.length - 1);
        });
    }

    private static Behavior<Object> gathering(ActorContext<Object> ctx, Assignment layout, long version, long epoch,
            DatasetCache datasets, ActorRef<Coordinator.Command> replyTo, INDArray params, boolean[] got, int missing) {
        return Behaviors.receive((c, msg) -> {
            if (msg instanceof ParameterShard.Pulled p && !got[p.shardIndex()]) {
                long[] b = layout.shardBounds();
                params.get(NDArrayIndex.interval(b[p.shardIndex()], b[p.shardIndex() + 1])).assign(p.params());
                got[p.shardIndex()] = true;
                if (missing - 1 == 0) {
                    replyTo.tell(evaluate(layout, version, epoch, datasets, params));
                    return Behaviors.stopped();
                }
                return gathering(ctx, layout, version, epoch, datasets, replyTo, params, got, missing - 1);
            }
            if ("timeout".equals(msg)) {
                replyTo.tell(new Coordinator.Evaluated(layout.jobId(), version, epoch, Double.NaN, null,
                        missing + " shard(s) did not answer within " + ctx.getSystem().settings().config()
                                .getDuration("flock.coordinator.evaluation-timeout").toSeconds() + " s"));
                return Behaviors.stopped();
            }
            return Behaviors.same();
        });
    }

    private static Coordinator.Evaluated evaluate(Assignment layout, long version, long epoch, DatasetCache datasets,
            INDArray params) {
        try {
            Dataset test = datasets.test(layout.job().dataset());
            Model model = layout.job().model().build();
            double accuracy = model.accuracy(params, test.all());
            return new Coordinator.Evaluated(layout.jobId(), version, epoch, accuracy, params, null);
        } catch (RuntimeException e) {
            return new Coordinator.Evaluated(layout.jobId(), version, epoch, Double.NaN, params,
                    "evaluation failed: " + e.getMessage());
        }
    }
}
