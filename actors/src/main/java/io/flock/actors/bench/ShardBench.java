package io.flock.actors.bench;

import io.flock.actors.api.FlockNode;
import io.flock.actors.shard.ParameterShard;
import io.flock.tensor.optim.OptimizerSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Parameter-shard measurements for {@code flock bench ps} and {@code flock bench switching}: a
 * client node talks to {@link ParameterShard} entities on other nodes directly (Cluster Sharding,
 * Artery, Kryo; each primary replicates to its backup), without a job or a coordinator.
 */
public final class ShardBench {

    private ShardBench() {}

    /**
     * Seconds per round, after {@code warmup} rounds: a push of a gradient of {@code floats} values
     * cut into the slices of {@code shards} fresh entities of {@code jobId}, then a pull of every
     * slice at the next version. The entities are released afterwards.
     */
    public static double pushPullRound(FlockNode client, String jobId, int shards, long floats, int warmup, int rounds)
            throws InterruptedException, TimeoutException {
        BlockingQueue<ParameterShard.Reply> replies = new LinkedBlockingQueue<>();
        // Named client-*: replies with parameters travel on Artery's large-message lane (pekko-defaults.conf).
        ActorRef<ParameterShard.Reply> inbox = client.system().systemActorOf(Behaviors.receive(ParameterShard.Reply.class)
                .onAnyMessage(r -> {
                    replies.add(r);
                    return Behaviors.same();
                }).build(), "client-ps-bench-" + jobId, Props.empty());
        try {
            List<INDArray> grads = new ArrayList<>();
            long[] bounds = bounds(floats, shards);
            for (int s = 0; s < shards; s++) {
                long len = bounds[s + 1] - bounds[s];
                grads.add(Nd4j.rand(DataType.FLOAT, len).muli(1e-3));
                ParameterShard.ref(client.system(), jobId, s).tell(new ParameterShard.Init(jobId, s, Nd4j.rand(DataType.FLOAT, len),
                        Nd4j.zeros(DataType.FLOAT, 1, 1), new OptimizerSpec.Sgd(0.01), 1, 0, inbox)); // SGD keeps no state
            }
            await(replies, shards, ParameterShard.Initialized.class, 120);
            long start = 0;
            for (int step = 0; step < warmup + rounds; step++) {
                if (step == warmup) start = System.nanoTime();
                for (int s = 0; s < shards; s++) {
                    ParameterShard.ref(client.system(), jobId, s).tell(new ParameterShard.Push(jobId, step, 0, grads.get(s)));
                }
                for (int s = 0; s < shards; s++) {
                    ParameterShard.ref(client.system(), jobId, s).tell(new ParameterShard.Pull(jobId, step + 1, step, inbox));
                }
                await(replies, shards, ParameterShard.Pulled.class, 120);
            }
            return (System.nanoTime() - start) / 1e9 / rounds;
        } finally {
            for (int s = 0; s < shards; s++) ParameterShard.ref(client.system(), jobId, s).tell(new ParameterShard.Release(jobId));
            Adapter.toClassic(client.system()).stop(Adapter.toClassic(inbox));
        }
    }

    /**
     * Seconds for {@code node} to fetch the parameters and optimizer state of every one of the
     * {@code shards} shards of the running job {@code jobId} (what a PS → ring member does on a switch).
     */
    public static double fetchAllSeconds(FlockNode node, String jobId, int shards, Duration timeout) throws Exception {
        var system = node.system();
        long start = System.nanoTime();
        List<CompletableFuture<ParameterShard.Reply>> asks = new ArrayList<>();
        for (int s = 0; s < shards; s++) {
            int index = s;
            asks.add(AskPattern.<ParameterShard.Command, ParameterShard.Reply>ask(ParameterShard.ref(system, jobId, index),
                    replyTo -> new ParameterShard.GetSnapshot(jobId, 0, replyTo), timeout, system.scheduler())
                    .toCompletableFuture());
        }
        CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        return (System.nanoTime() - start) / 1e9;
    }

    /** Contiguous slices as the coordinator cuts them: shard s holds [n·s/S, n·(s+1)/S). */
    public static long[] bounds(long floats, int shards) {
        long[] b = new long[shards + 1];
        for (int s = 0; s <= shards; s++) b[s] = floats * s / shards;
        return b;
    }

    private static void await(BlockingQueue<ParameterShard.Reply> replies, int count, Class<?> type, long seconds)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        int got = 0;
        while (got < count) {
            ParameterShard.Reply r = replies.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (r == null) throw new TimeoutException(count - got + " " + type.getSimpleName() + " replies missing after " + seconds + " s");
            if (r instanceof ParameterShard.Lost lost) throw new IllegalStateException("shard lost: " + lost.reason());
            if (type.isInstance(r)) got++;
        }
    }
}
