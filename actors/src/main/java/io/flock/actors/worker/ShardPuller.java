package io.flock.actors.worker;

import io.flock.actors.shard.ParameterShard;
import org.apache.pekko.actor.typed.ActorRef;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The parameter-server loops' pull: asks every shard for its slice of one version, copies the
 * answers into the job's parameter buffer, and every {@link WorkerSettings#pullRetry()} asks the
 * shards that have not answered again (Artery delivers at most once; a shard may also hold a pull
 * back on purpose, e.g. the ps-ssp staleness gate). Answers to superseded rounds are dropped by
 * request id ({@link PullRound}).
 */
final class ShardPuller {

    /** The pull message of a protocol: ps-bsp's {@code Pull}, ps-ssp's {@code SspPull}. */
    interface PullMessage {
        ParameterShard.Command of(String jobId, long step, long request, ActorRef<ParameterShard.Reply> replyTo);
    }

    private final LoopContext ctx;
    private final PullMessage message;
    private final PullRound round = new PullRound();
    private WorkerJob job;
    private Assignment assignment;
    private long step;

    ShardPuller(LoopContext ctx, PullMessage message) {
        this.ctx = ctx;
        this.message = message;
    }

    /** The job and view the next rounds pull for. */
    void bind(WorkerJob job, Assignment assignment) {
        this.job = job;
        this.assignment = assignment;
    }

    /** Opens a new round for version {@code step}: every shard is asked, the retry timer set. */
    void begin(long step) {
        this.step = step;
        long request = round.begin(job.shards().length, ctx.now());
        for (int s = 0; s < job.shards().length; s++) {
            job.shards()[s].tell(message.of(assignment.jobId(), step, request, ctx.shardReplies()));
        }
        ctx.scheduler().retryPulls(request, ctx.settings().pullRetry());
    }

    /** Asks the shards that have not answered the open round again and sets the retry timer anew. */
    void resend() {
        for (int s = 0; s < job.shards().length; s++) {
            if (round.waitsFor(s)) job.shards()[s].tell(message.of(assignment.jobId(), step, round.request(), ctx.shardReplies()));
        }
        ctx.scheduler().retryPulls(round.request(), ctx.settings().pullRetry());
    }

    /** Whether {@code shard}'s answer to {@code request} is awaited. */
    boolean awaits(int shard, long request) {
        return round.accepts(shard, request);
    }

    /** Copies {@code shard}'s slice into the parameters; true when it completed the round (the retry timer is then off). */
    boolean fill(int shard, INDArray slice) {
        long[] bounds = assignment.shardBounds();
        job.params().get(NDArrayIndex.interval(bounds[shard], bounds[shard + 1])).assign(slice);
        if (!round.arrived(shard)) return false;
        ctx.scheduler().cancelPullRetry();
        return true;
    }

    boolean retryDue(long request) {
        return round.retryDue(request);
    }

    boolean completed(long request) {
        return round.completed(request);
    }

    boolean waitsFor(int shard) {
        return round.waitsFor(shard);
    }

    long request() {
        return round.request();
    }

    /** The version the latest round pulls. */
    long step() {
        return step;
    }

    int missing() {
        return round.missing();
    }

    /** The worker left the job: the open round is dropped and the job's data let go. */
    void release() {
        cancel();
        job = null;
        assignment = null;
    }

    /** Drops the open round: late answers, its retry and its step delay are ignored. */
    void cancel() {
        round.cancel();
        ctx.scheduler().cancelPullRetry();
    }

    /** Records the completed round's time and bytes as this strategy's synchronization cost. */
    void recordSync() {
        ctx.metrics().get().recordSync(assignment.strategy(), round.seconds(ctx.now()),
                job.params().length() * job.params().dataType().width());
    }
}
