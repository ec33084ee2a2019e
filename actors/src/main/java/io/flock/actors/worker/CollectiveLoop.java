package io.flock.actors.worker;

import io.flock.actors.shard.ShardGather;
import io.flock.actors.dataplane.CollectiveSession;
import io.flock.actors.dataplane.CollectiveSpec;
import io.flock.actors.dataplane.DataPlane;
import io.flock.actors.shard.ParameterShard;
import io.flock.strategies.BspShardState;
import io.flock.strategies.Replica;
import io.flock.strategies.Strategy;
import io.flock.tensor.model.GradientResult;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ring / tree loop: the worker holds a full {@link Replica}, computes its contiguous block of
 * micro-batches, all-reduces the gradient with its peers over the {@link DataPlane} and applies
 * the mean itself. A step counts as begun once it is contributed (the peers finish it with us).
 * Rank 0 copies the replica into the shards at epoch ends, checkpoints and the last step. The
 * replica comes from a peer that holds it or, assembled, from the shards (see docs/switching.md).
 */
final class CollectiveLoop implements StepLoop {

    private final LoopContext ctx;
    private final Boundary boundary = new Boundary();
    private WorkerJob job;
    private Assignment assignment;
    private ActorRef<WorkerReport> coordinator;
    private long step;
    private Replica replica;
    /** The all-reduce of {@link #step} in flight, with the report to send once it is applied. */
    private CollectiveSession session;
    private WorkerReport.StepDone pendingReport;
    /** The view's peers, parsed from the assignment (null until first needed). */
    private List<InetSocketAddress> members;
    /** Where the data plane writes each step's mean (see startStep). */
    private INDArray meanBuffer;
    /** While assembling the replica from the shards. */
    private ShardGather gathering;
    /** The (epoch, step) whose step delay has been served. */
    private long delayedEpoch = -1;
    private long delayedStep = -1;

    CollectiveLoop(LoopContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void start(WorkerJob job, Assignment a, ActorRef<WorkerReport> coordinator, boolean newJob) {
        this.job = job;
        this.assignment = a;
        this.coordinator = coordinator;
        boundary.reset();
        session = null;
        gathering = null;
        meanBuffer = null;
        members = null;
        if (newJob) replica = null;
        if (replica != null && replica.version() == a.startStep()) startStep(a.startStep());
        else fetchReplica(a);
    }

    /** Gets the replica at the assignment's start step: from a peer that holds it, or from the shards. */
    private void fetchReplica(Assignment a) {
        replica = null;
        step = a.startStep();
        if (a.replicaSource() != null) {
            a.replicaSource().tell(new Worker.GetReplica(a.jobId(), a.startStep(), ctx.self()));
        } else {
            gathering = new ShardGather(a.shardBounds(), a.startStep());
            for (EntityRef<ParameterShard.Command> shard : job.shards()) {
                shard.tell(new ParameterShard.GetSnapshot(a.jobId(), a.startStep(), ctx.shardReplies()));
            }
        }
    }

    @Override
    public void onSnapshot(ParameterShard.Snapshot snapshot) {
        if (gathering == null || !gathering.accept(snapshot) || !gathering.complete()) return;
        ShardGather g = gathering;
        gathering = null;
        String wrong = g.verifyAppliedSteps(-1);
        if (wrong != null) {
            coordinator.tell(new WorkerReport.WorkerFailed(assignment.jobId(), assignment.rank(),
                    "shards disagree at version " + g.version() + ": " + wrong));
            return;
        }
        replica = new Replica(g.params(), g.optimizerState(), null, assignment.job().optimizer(), g.version(),
                g.appliedSteps());
        startStep(g.version());
    }

    @Override
    public void onReplicaCopy(Worker.ReplicaCopy copy) {
        if (copy.version() != assignment.startStep() || replica != null) return;
        if (copy.error() != null) {
            coordinator.tell(new WorkerReport.CollectiveFailed(assignment.jobId(), assignment.epoch(),
                    assignment.startStep(), assignment.rank(), "no replica to start from: " + copy.error()));
            return;
        }
        replica = new Replica(copy.params(), copy.optimizerState(), copy.previous(), assignment.job().optimizer(),
                copy.version(), copy.appliedSteps());
        startStep(copy.version());
    }

    private void startStep(long t) {
        step = t;
        if (assignment.rank() == 0 && t >= assignment.totalSteps()) {
            seed(replica, assignment, job, ctx.shardReplies()); // adopted after the last step: the final evaluation reads the shards
        }
        if (t >= assignment.totalSteps()) return;
        if (boundary.stops(t)) {
            reachedBoundary();
            return;
        }
        if (delayStep(t)) return;
        contribute(t);
    }

    /** Opens step {@code t}'s collective and contributes this rank's gradients to it. */
    private void contribute(long t) {
        Assignment a = assignment;
        int[] mine = MicroBatchRule.BLOCKS.microBatches(a.rank(), a.workers(), job.plan().microBatches());
        long n = replica.params().length();
        // One result vector per view, reused every step (a fresh one costs about as much as moving
        // it); a new view gets a new one, so an aborted collective can never write into a live one.
        if (meanBuffer == null) meanBuffer = Nd4j.create(DataType.FLOAT, n);
        DataPlane plane = ctx.dataPlane().get();
        CollectiveSession s = plane.open(new CollectiveSpec(a.jobId(), a.epoch(), t, kind(a.strategy()), members(a),
                a.rank(), n, job.plan().microBatches(), plane.settings().chunkSizeFor(n)), meanBuffer);
        session = s;
        long started = ctx.now();
        double[] losses = new double[mine.length];
        for (int i = 0; i < mine.length; i++) {
            GradientResult g = job.model().gradient(replica.params(), job.train().batch(job.sampler().indices(t, mine[i])));
            s.contribute(mine[i], g.gradient());
            losses[i] = g.loss();
        }
        pendingReport = new WorkerReport.StepDone(a.jobId(), a.epoch(), t, a.rank(), mine, losses,
                job.plan().microBatchSize(), ctx.now() - started + ctx.stepDelay().get().toNanos());
        ctx.scheduler().whenDone(s, t);
    }

    /** The data plane's algorithm for a collective strategy. */
    private static CollectiveSpec.Kind kind(Strategy strategy) {
        return switch (strategy) {
            case TREE -> CollectiveSpec.Kind.TREE;
            case RING -> CollectiveSpec.Kind.RING;
            default -> throw new IllegalArgumentException(strategy.id() + " is not a collective strategy");
        };
    }

    @Override
    public void onCollectiveDone(CollectiveSession done, long t, INDArray mean, Throwable error) {
        if (done != session || assignment == null) return; // aborted or superseded
        session = null;
        if (error != null) {
            Throwable cause = error instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                    ? c.getCause() : error;
            ctx.log().warn("{}: all-reduce of step {} failed: {}", ctx.name(), t, cause.getMessage());
            coordinator.tell(new WorkerReport.CollectiveFailed(assignment.jobId(), assignment.epoch(), t,
                    assignment.rank(), cause.getMessage()));
            return;
        }
        replica.apply(t, mean);
        ctx.metrics().get().recordSync(assignment.strategy(), done.seconds(), done.bytesSent());
        coordinator.tell(pendingReport);
        pendingReport = null;
        if (assignment.rank() == 0 && seedDue(replica.version())) seed(replica, assignment, job, ctx.shardReplies());
        startStep(t + 1);
    }

    /** Versions the shards must hold while a collective strategy trains: evaluations and checkpoints read them. */
    private boolean seedDue(long version) {
        long every = assignment.job().checkpointEvery();
        return version >= assignment.totalSteps() || job.plan().endsEpoch(version - 1) || (every > 0 && version % every == 0);
    }

    /** Copies {@code replica} into the shards of {@code job} (their applied-step logs included); they answer {@code replyTo}. */
    static void seed(Replica replica, Assignment assignment, WorkerJob job, ActorRef<ParameterShard.Reply> replyTo) {
        List<BspShardState.Exported> parts = replica.toShards(assignment.shardBounds());
        for (int s = 0; s < job.shards().length; s++) {
            job.shards()[s].tell(new ParameterShard.Seed(assignment.jobId(), s, parts.get(s), assignment.job().optimizer(),
                    assignment.job().microBatches(), replyTo));
        }
    }

    /** The view's data-plane addresses by rank, parsed once per assignment (not every step). */
    private List<InetSocketAddress> members(Assignment a) {
        if (members == null) {
            members = new ArrayList<>();
            for (String peer : a.peers()) members.add(parse(peer));
        }
        return members;
    }

    private static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** With a step delay set, waits it out before computing step {@code t} (returns true). */
    private boolean delayStep(long t) {
        Duration delay = ctx.stepDelay().get();
        if (delay.isZero() || (delayedEpoch == assignment.epoch() && delayedStep == t)) return false;
        ctx.scheduler().delayStep(assignment.epoch(), t, delay);
        return true;
    }

    @Override
    public void onStepDelayElapsed(long epoch, long t) {
        if (assignment == null || assignment.epoch() != epoch || step != t || session != null || replica == null) return;
        delayedEpoch = epoch;
        delayedStep = t;
        startStep(t);
    }

    @Override
    public long hold() {
        // Begun once contributed: a step in flight is finished with the peers.
        return boundary.hold(session != null ? step + 1 : step);
    }

    @Override
    public void runTo(long to) {
        boundary.runTo(to);
        if (session != null || gathering != null) return; // the step in flight ends at the boundary or below
        if (step >= to || step >= assignment.totalSteps()) reachedBoundary();
        else startStep(step);
    }

    private void reachedBoundary() {
        if (!boundary.claimReport(true)) return;
        coordinator.tell(new WorkerReport.AtBoundary(assignment.jobId(), assignment.epoch(), assignment.rank(), step));
    }

    @Override
    public void prepare() {
        session = null;
        meanBuffer = null;
        pendingReport = null;
        boundary.stopSilentlyAt(step);
    }

    @Override
    public void stop() {
        replica = null; // the shards own the state again
        session = null;
        gathering = null;
        meanBuffer = null;
        members = null;
        pendingReport = null;
    }

    @Override
    public void release() {
        stop();
        job = null;
        assignment = null;
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public Replica replica() {
        return replica;
    }
}
